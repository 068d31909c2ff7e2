#!/bin/sh
# t_cli_explain.sh - `plainbounce explain` on the built binary: text and
# --json output, field order, stdin, exit statuses, hostile and huge input.
set -eu
PB=${PB_BUILDDIR:?}/plainbounce
PY=/usr/bin/python3
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pb-explain.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

bounced='Nov 28 04:20:11 mail postfix/smtp[4182]: 5A1B2C3D4E: to=<bob@example.org>, relay=mx.example.org[192.0.2.25]:25, delay=1.4, delays=0.09/0.01/1.2/0.1, dsn=5.1.1, status=bounced (host mx.example.org[192.0.2.25] said: 550 5.1.1 <bob@example.org>: Recipient address rejected: User unknown (in reply to RCPT TO command))'

# 1. --json on an argument: one document, fields in reading order
"$PB" explain --json "$bounced" >"$tmp/one.json" || fail "exit $? on a Postfix line"
$PY - "$tmp/one.json" <<'PYEOF' || fail "JSON of a bounced line"
import json, sys
doc = json.load(open(sys.argv[1], encoding="utf-8"))
assert doc["kind"] == "delivery", doc["kind"]
assert doc["postfix"] is True and doc["truncated"] is False
names = [f["field"] for f in doc["fields"]]
for f in doc["fields"]:
    assert set(f) == {"field", "value", "meaning"}, f
    assert f["meaning"], f
want = ["timestamp", "host", "process", "pid", "queue_id", "to", "relay", "relay.port",
        "delay", "delays", "delays.a", "delays.b", "delays.c", "delays.d",
        "delays.dominant", "dsn", "dsn.class", "dsn.subject", "dsn.detail",
        "status", "reply.host", "reply.addr", "reply.code", "reply.dsn",
        "reply.text", "reply.command"]
assert names == want, names
v = {f["field"]: f for f in doc["fields"]}
assert v["queue_id"]["value"] == "5A1B2C3D4E"
assert v["status"]["value"] == "bounced"
assert "bounce" in v["status"]["meaning"]
assert v["reply.code"]["value"] == "550"
assert v["reply.command"]["value"] == "RCPT TO"
assert v["delays.dominant"]["value"] == "c"
PYEOF

# 2. text output names the same things
"$PB" explain "$bounced" >"$tmp/one.txt"
grep -q '^delivery: ' "$tmp/one.txt" || fail "no kind line"
grep -q '^  reply.text  *<bob@example.org>: Recipient address rejected: User unknown$' \
	"$tmp/one.txt" || fail "reply text not shown"
grep -q 'sender will get a bounce' "$tmp/one.txt" || fail "no verdict"

# 3. stdin: one JSON object per line; a foreign line gives exit 1
printf '%s\n%s\n%s\n' \
	'Nov 28 04:20:09 mail postfix/smtpd[4170]: 5A1B2C3D4E: client=laptop.example.com[192.0.2.50]' \
	'Nov 28 04:20:10 mail dovecot: imap-login: Login: user=<alice>' \
	'Nov 28 04:20:12 mail postfix/qmgr[412]: 5A1B2C3D4E: removed' >"$tmp/in.log"
rc=0
"$PB" explain --json <"$tmp/in.log" >"$tmp/many.json" || rc=$?
[ "$rc" -eq 1 ] || fail "exit $rc with a non-Postfix line, want 1"
$PY - "$tmp/many.json" <<'PYEOF' || fail "JSON lines from stdin"
import json, sys
docs = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
assert [d["kind"] for d in docs] == ["client", "not-postfix", "removed"], docs
assert [d["postfix"] for d in docs] == [True, False, True]
PYEOF
"$PB" explain 'not a log line at all' >/dev/null && fail "garbage gave exit 0"

# 4. hostile reply: CR, LF inside an argument, ESC, bidi override, bad UTF-8
hostile=$(printf 'Nov 28 04:34:00 mail postfix/smtp[91]: 3C4D5E6F7A: to=<f@example.org>, relay=mx.example.org[192.0.2.25]:25, delay=1, delays=0.1/0/0.4/0.5, dsn=5.0.0, status=bounced (host mx.example.org[192.0.2.25] said: 550 5.0.0 no\r\033[2J \342\200\256evil \377\376 status=sent (in reply to RCPT TO command))')
"$PB" explain --json "$hostile" >"$tmp/hostile.json" || fail "hostile: exit $?"
"$PB" explain "$hostile" >"$tmp/hostile.txt" || fail "hostile text: exit $?"
$PY - "$tmp/hostile.json" "$tmp/hostile.txt" <<'PYEOF' || fail "hostile output unsafe"
import json, sys
raw = open(sys.argv[1], "rb").read()
raw.decode("utf-8")                 # valid UTF-8 or this raises
doc = json.loads(raw)
v = {f["field"]: f for f in doc["fields"]}
assert v["status"]["value"] == "bounced", v["status"]
text = v["reply.text"]["value"]
for bad in ("\r", "\n", "\x1b", "\u202e", "\ufffd"):
    assert bad not in text, (bad, text)
assert "\\x0d" in text and "\\x1b" in text and "\\u{202e}" in text, text
assert "\\xff\\xfe" in text, text
out = open(sys.argv[2], "rb").read()
out.decode("utf-8")
assert b"\r" not in out and b"\x1b" not in out and "\u202e".encode() not in out
PYEOF

# 5. a 2 MiB line on stdin: malformed, exit 1, output small
$PY -c 'import sys; sys.stdout.write("Nov 28 04:35:00 mail postfix/smtp[92]: 4D5E6F7A8B: to=<g@x>, status=deferred (" + "A" * (2 << 20) + ")\n")' >"$tmp/huge.log"
rc=0
"$PB" explain --json <"$tmp/huge.log" >"$tmp/huge.json" || rc=$?
[ "$rc" -eq 1 ] || fail "2 MiB line: exit $rc, want 1"
size=$(wc -c <"$tmp/huge.json")
[ "$size" -lt 4096 ] || fail "2 MiB line printed $size bytes"
$PY -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["kind"]=="malformed", d' \
	"$tmp/huge.json" || fail "2 MiB line not reported malformed"

# 6. a value near the limit is shown cut, with its real length
$PY -c 'import sys; sys.stdout.write("Nov 28 04:35:00 mail postfix/smtp[92]: 4D5E6F7A8B: to=<g@x>, relay=mx.x[192.0.2.1]:25, delay=1, delays=0/0/0.5/0.5, dsn=4.0.0, status=deferred (host mx.x[192.0.2.1] said: 451 4.0.0 " + "B" * 900000 + " (in reply to RCPT TO command))\n")' >"$tmp/big.log"
"$PB" explain <"$tmp/big.log" >"$tmp/big.txt" || fail "900 kB reply: exit $?"
grep -q 'bytes in all\]$' "$tmp/big.txt" || fail "long value not marked as cut"
[ "$(wc -c <"$tmp/big.txt")" -lt 65536 ] || fail "long value not cut"

# 7. a whole recorded log (real Postfix 3.7, from the harness) on stdin
fx=${PB_SRCDIR:?}/tests/fixtures/logs/mixed-5rcpt.log
"$PB" explain --json <"$fx" >"$tmp/fx.json" || fail "recorded log: exit $?"
$PY - "$fx" "$tmp/fx.json" <<'PYEOF' || fail "recorded log explained wrongly"
import json, sys
lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
docs = [json.loads(l) for l in open(sys.argv[2], encoding="utf-8")]
assert len(docs) == len(lines), (len(docs), len(lines))
assert all(d["postfix"] for d in docs)
verdicts = {}
for d in docs:
    v = {f["field"]: f["value"] for f in d["fields"]}
    if d["kind"] == "delivery":
        verdicts.setdefault(v["to"], set()).add(v["status"])
        assert "reply.code" in v or "postfix_text" in v, v
assert verdicts["nouser2@remote.test"] == {"bounced"}, verdicts
assert verdicts["full5@remote.test"] == {"deferred"}, verdicts
assert "sent" in verdicts["ok1@remote.test"], verdicts
assert any(d["kind"] == "expired" for d in docs)
PYEOF

# 8. usage
rc=0; "$PB" explain --bogus >/dev/null 2>&1 || rc=$?
[ "$rc" -eq 2 ] || fail "bad option: exit $rc, want 2"
rc=0; "$PB" explain </dev/null >/dev/null 2>&1 || rc=$?
[ "$rc" -eq 1 ] || fail "no input: exit $rc, want 1"
echo "ok"
