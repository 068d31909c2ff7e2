#!/bin/sh
# t_trace_store_query.sh - trace --store answers as trace does: --json gives
# one object per message with its recipients, attempts and events, and
# --since/--until select by time; nothing matched exits 1.  The store is
# filled by importing recorded real-Postfix fixtures.
set -eu
t=$(mktemp -d "${TMPDIR:-/tmp}/pbtsq.XXXXXX")
trap 'rm -rf "$t"' EXIT
fx=$PB_SRCDIR/tests/fixtures/logs
printf 'store = { path = "%s/s.db"; };\nclassify = { rules = "%s"; };\n' \
	"$t" "$PB_SRCDIR/config/classify.rules" > "$t/pb.conf"
pb() { "$PB_BUILDDIR/plainbounce" "$@"; }
TZ=UTC pb import -c "$t/pb.conf" "$fx/bounce-5.1.1.log" \
	"$fx/mixed-5rcpt.log" "$fx/deferred-then-sent.log" > "$t/import.out"

pb trace --store -c "$t/pb.conf" --domain remote.test --json > "$t/all.json"
/usr/bin/python3 - "$t/all.json" > "$t/check.out" <<'PY'
import json, sys
msgs = [json.loads(l) for l in open(sys.argv[1])]
assert len(msgs) >= 3, "want the three fixture messages, got %d" % len(msgs)
bounced = [r for m in msgs for r in m["recipients"] if r["state"] == "bounced"]
assert bounced, "no bounced recipient"
r = bounced[0]
assert r["attempts"] and r["attempts"][-1]["dsn"].startswith("5."), r
ev = [e for e in r["events"] if e["kind"] == "bounced"]
assert ev and ev[0]["reason"] and ev[0]["meaning"], r["events"]
assert ev[0]["historical"] is True, "imported events are historical"
for m in msgs:
    for k in ("queue_id", "arrival", "sender", "recipients", "closed"):
        assert k in m, k
    assert m["arrival"].endswith("Z")
arr = sorted(m["arrival"] for m in msgs)
import calendar, time
def ep(s): return calendar.timegm(time.strptime(s, "%Y-%m-%dT%H:%M:%SZ"))
print(len(msgs), ep(arr[0]), ep(arr[-1]))
PY
read -r n first last < "$t/check.out"
echo "ok: --json gave $n messages with recipients, attempts and events"

# --since after every message: nothing, exit 1
rc=0; pb trace --store -c "$t/pb.conf" --since "@$((last + 86400))" \
	> "$t/none.out" || rc=$?
[ "$rc" = 1 ] && [ ! -s "$t/none.out" ] ||
	{ echo "FAIL: --since after all: exit $rc"; cat "$t/none.out"; exit 1; }
# --until before every message: nothing
rc=0; pb trace --store -c "$t/pb.conf" --until "@$((first - 86400))" \
	--domain remote.test > /dev/null || rc=$?
[ "$rc" = 1 ] || { echo "FAIL: --until before all: exit $rc"; exit 1; }
# a window holding all of them
got=$(pb trace --store -c "$t/pb.conf" --since "@$((first - 60))" \
	--until "@$((last + 60))" --domain remote.test --json | wc -l)
[ "$got" = "$n" ] || { echo "FAIL: window: $got messages, want $n"; exit 1; }
# --until the first arrival: only messages that arrived by then
got=$(pb trace --store -c "$t/pb.conf" --until "@$first" --domain remote.test \
	--json | wc -l)
[ "$got" -ge 1 ] && [ "$got" -le "$n" ] ||
	{ echo "FAIL: --until first: $got"; exit 1; }
echo "ok: --since/--until select by time, nothing matched exits 1"
# a bad time is a usage error
rc=0; pb trace --store -c "$t/pb.conf" --since yesterday 2>/dev/null || rc=$?
[ "$rc" = 2 ] || { echo "FAIL: bad time: exit $rc"; exit 1; }
echo "ok: a bad time is a usage error"
# each lookup: the queue ID, the Message-ID with or without its brackets,
# sender and recipient whatever their case
qid=$(/usr/bin/python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["queue_id"])' "$t/all.json")
mid=$(/usr/bin/python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["message_id"])' "$t/all.json")
bare=${mid#<}; bare=${bare%>}
for args in "--queue-id $qid" "--message-id $mid" "--message-id $bare" \
	"--from ALICE@Client.Test" "--to NOUSER@remote.test"; do
	# shellcheck disable=SC2086
	pb trace --store -c "$t/pb.conf" $args --json > "$t/one.json" ||
		{ echo "FAIL: trace --store $args found nothing"; exit 1; }
	grep -q "\"queue_id\":\"$qid\"" "$t/one.json" ||
		{ echo "FAIL: trace --store $args: not $qid"; cat "$t/one.json"; exit 1; }
done
echo "ok: queue ID, Message-ID (with or without <>), sender and recipient in any case"
