#!/bin/sh
# t_trace_store_escape.sh - trace --store shows stored values escaped: a
# Subject with a terminal escape, a CR/LF and a bidi override (as a hostile
# sender could make the milter record it) reaches the screen as visible
# escapes, never as raw control bytes.
set -eu
t=$(mktemp -d "${TMPDIR:-/tmp}/pbtse.XXXXXX")
trap 'rm -rf "$t"' EXIT
printf 'store = { path = "%s/s.db"; };\n' "$t" > "$t/pb.conf"
esc=$(printf '\033')
subj=$(printf 'pay \033[31mnow\r\nX-Evil: 1 \342\200\256gnp.exe')
"$PB_BUILDDIR/pb_send" event --store "$t/s.db" --qid 4ABCDEF0123 \
	--sender alice@client.test --subject "$subj" \
	--rcpt bob@remote.test,address_unknown >/dev/null
out=$("$PB_BUILDDIR/plainbounce" trace --store -c "$t/pb.conf" --queue-id 4ABCDEF0123)
printf '%s\n' "$out" | grep -qF 'Subject: pay \x1b[31mnow\x0d\x0aX-Evil: 1 \u{202e}gnp.exe' ||
	{ printf '%s\n' "$out"; echo "FAIL: subject not shown escaped"; exit 1; }
case "$out" in
*"$esc"*) echo "FAIL: a raw ESC reached the output"; exit 1 ;;
esac
if printf '%s' "$out" | grep -q "$(printf '\r')"; then
	echo "FAIL: a raw CR reached the output"; exit 1
fi
echo "ok: stored subject shown escaped"
