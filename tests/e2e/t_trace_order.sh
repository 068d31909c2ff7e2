#!/bin/sh
# t_trace_order.sh - a story reads parent first.  In the recorded
# mixed-outcome log the first non-delivery notice is delivered and removed
# while its parent is still deferred; trace must still print the parent
# first, then its notices in the order Postfix made them.
set -eu
pb="$PB_BUILDDIR/plainbounce"
log="$PB_SRCDIR/tests/fixtures/logs/mixed-5rcpt.log"
ndr='s/.*postfix\/bounce\[[0-9]*\]: \([0-9A-F]*\): sender non-delivery notification: \([0-9A-F]*\)$/\1 \2/p'
set -- $(sed -n "$ndr" "$log" | tr '\n' ' ')
[ $# -eq 4 ] && [ "$1" = "$3" ] || { echo "FAIL: fixture lacks two NDRs of one message"; exit 1; }
parent=$1 first=$2 second=$4
grep -q "$first: removed" "$log" && [ "$(grep -n "$first: removed" "$log" | cut -d: -f1)" -lt \
	"$(grep -n "$parent: removed" "$log" | cut -d: -f1)" ] ||
	{ echo "FAIL: fixture no longer has the notice finish first"; exit 1; }
stories() { "$pb" trace "$@" "$log" | sed -n 's/^Message \([0-9A-F]*\) .*/\1/p' | tr '\n' ' '; }
for q in "$parent" "$first" "$second"; do
	got=$(stories --queue-id "$q")
	[ "$got" = "$parent $first $second " ] ||
		{ echo "FAIL: --queue-id $q printed '$got', want '$parent $first $second '"; exit 1; }
done
# a filter only the notices match prints them alone, each once
got=$(stories --from '')
[ "$got" = "$first $second " ] || { echo "FAIL: --from '' printed '$got'"; exit 1; }
echo "ok: $parent before its notices $first and $second"
