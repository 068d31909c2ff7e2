#!/bin/sh
# t_classify.sh - `plainbounce classify` end to end: arguments, --tsv on
# stdin with a hostile line, --json parsed by a real JSON parser, a site
# rules file overriding, and a broken rules file refused with file:line.
set -u
pb="$PB_BUILDDIR/plainbounce"
rules="$PB_SRCDIR/config/classify.rules"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pb-classify.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# one argument, one line: reason, actor, retry, sentence
out=$("$pb" classify --rules "$rules" "host mx.example.com[192.0.2.10] said: 550 5.1.1 <a@example.com>: Recipient address rejected: User unknown in virtual mailbox table (in reply to RCPT TO command)") || fail "exit $?"
[ "$(printf '%s\n' "$out" | cut -f1-3)" = "$(printf 'address_unknown\tsender\tno')" ] || fail "argument: $out"
[ "$(printf '%s\n' "$out" | awk -F'\t' '{print NF}')" = 4 ] || fail "not 4 fields: $out"

# the stage option changes the answer
out=$("$pb" classify --rules "$rules" --command DATA "550 User unknown" | cut -f1)
[ "$out" = recipient_refused ] || fail "--command DATA: $out"
out=$("$pb" classify --rules "$rules" --command MAIL "550 User unknown" | cut -f1)
[ "$out" = sender_address_rejected ] || fail "--command MAIL: $out"

# --tsv: one answer per input line, in order, even for bad lines
printf 'deferred\t4.4.1\tconnect to mx.example.com[192.0.2.10]:25: Connection timed out\n' > "$tmp/in.tsv"
printf 'bounced\t\t550 5.7.1 Client host [203.0.113.7] blocked using zen.spamhaus.org\tRCPT\n' >> "$tmp/in.tsv"
printf 'no tabs at all\n' >> "$tmp/in.tsv"
printf 'bounced\t5.1.1\t550 5.1.1 \377\376 user \033[31munknown\r\n' >> "$tmp/in.tsv"
printf 'expired\t4.4.1\tconnect to mx.example.com[192.0.2.10]:25: Connection refused\n' >> "$tmp/in.tsv"
"$pb" classify --rules "$rules" --tsv < "$tmp/in.tsv" > "$tmp/out" 2> "$tmp/err"
rc=$?
[ $rc -eq 1 ] || fail "--tsv with a bad line: exit $rc, want 1"
[ "$(wc -l < "$tmp/out")" -eq 5 ] || fail "--tsv: $(wc -l < "$tmp/out") lines"
[ "$(cut -f1 "$tmp/out" | tr '\n' ' ')" = "cannot_connect sender_blocked unknown address_unknown delivery_expired " ] \
	|| fail "--tsv reasons: $(cut -f1 "$tmp/out" | tr '\n' ' ')"
grep -q 'stdin:3:' "$tmp/err" || fail "no line number for the bad line: $(cat "$tmp/err")"
# the hostile reply is never echoed
if grep -q "$(printf '\033')" "$tmp/out"; then fail "escape sequence echoed"; fi

# --json: valid JSON objects with the extra facts
"$pb" classify --rules "$rules" --json --tsv < "$tmp/in.tsv" > "$tmp/json" 2>/dev/null
/usr/bin/python3 - "$tmp/json" <<'PY' || fail "--json"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert len(rows) == 5, len(rows)
assert rows[0]["reason"] == "cannot_connect" and rows[0]["retry"] is True
assert rows[1]["provider"] == "Spamhaus", rows[1]
assert rows[1]["actor"] == "our_admin"
assert rows[4]["reason"] == "delivery_expired"
assert rows[4]["last_reason"] == "cannot_connect", rows[4]
for r in rows:
    assert set(["reason", "actor", "retry", "explanation"]) <= set(r)
PY

# retry-after and expiry facts in JSON
"$pb" classify --rules "$rules" --json --status expired --tried-for 5d \
	"451 4.7.1 Greylisted, please try again in 5 minutes" > "$tmp/one.json"
/usr/bin/python3 - "$tmp/one.json" <<'PY' || fail "--json single"
import json, sys
r = json.loads(open(sys.argv[1]).read())
assert r["reason"] == "delivery_expired" and r["last_reason"] == "greylisted", r
assert r["retry_after"] == 300 and r["tried_for"] == 432000, r
PY

# a site rules file wins over the shipped rules
printf 'policy_blocked "user unknown"\n' > "$tmp/site.rules"
out=$("$pb" classify --rules "$rules" --site-rules "$tmp/site.rules" --command RCPT "550 5.1.1 User unknown" | cut -f1)
[ "$out" = policy_blocked ] || fail "site rule: $out"

# the same files named in plainbounce.conf
printf 'classify = { rules = "%s"; site_rules = "%s"; };\n' "$rules" "$tmp/site.rules" > "$tmp/pb.conf"
out=$("$pb" classify -c "$tmp/pb.conf" "550 5.1.1 User unknown" | cut -f1)
[ "$out" = policy_blocked ] || fail "rules from config: $out"

# a broken rules file is a configuration error naming file and line
printf '# ok\n\nmailbox_full "quota"\nno_such_reason "x y"\n' > "$tmp/bad.rules"
"$pb" classify --rules "$tmp/bad.rules" "x" > /dev/null 2> "$tmp/err"
rc=$?
[ $rc -eq 78 ] || fail "bad rules: exit $rc, want 78"
grep -q "bad.rules:4: unknown reason" "$tmp/err" || fail "bad rules message: $(cat "$tmp/err")"

# usage errors
"$pb" classify --rules "$rules" > /dev/null 2>&1; [ $? -eq 2 ] || fail "no text: want usage"
"$pb" classify --rules "$rules" --code 999 x > /dev/null 2>&1; [ $? -eq 2 ] || fail "--code 999"
echo "ok"
