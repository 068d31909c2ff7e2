#!/bin/sh
# t_milter_protocol.sh - plainbounce-milter against miltertest and a raw
# protocol client: every stage, abort, close-only, 100 messages on one
# connection, hostile headers; then the store rows, checked one by one.
set -u
. "$(dirname "$0")/milter_lib.sh"

write_conf ""
# -n checks the configuration and exits
"$MILTER" -n -c "$CONF" >/dev/null || fail "-n on a good config"
printf 'milter = { sokcet = "x"; };\n' > "$T/bad.conf"
"$MILTER" -n -c "$T/bad.conf" 2>"$T/bad.out"; rc=$?
eq "bad config exit status" "$rc" 78
grep -q 'bad.conf:1: unknown key "milter.sokcet"' "$T/bad.out" ||
	fail "bad config message: $(cat "$T/bad.out")"

start_milter
for s in stages abort many hostile loopback; do mt $s; done
/usr/bin/python3 "$PB_SRCDIR/tests/milter/rawclient.py" "unix:$SOCK" ||
	fail "rawclient.py"
stop_milter

# every stage: all facts of the one full message
eq "stages record" "$(q "SELECT instance, submission, sender, sasl_user,
  client_name, client_addr, daemon_name, message_id, subject, from_header,
  auto_submitted, precedence, list_id FROM milter_records
  WHERE queue_id = '4STAGES1'")" \
  "postfix-test|authenticated|alice@client.test|alice|client.example|192.0.2.10|mail.client.test|<stages.1@client.test>|Café menu|René <alice@client.test>|no|bulk|Team list <team.client.test>"
eq "stages recipients" "$(q "SELECT group_concat(address || '=' ||
  ifnull(notify, '-'), ' ') FROM (SELECT r.address, r.notify
  FROM milter_recipients r JOIN milter_records m ON m.id = r.record
  WHERE m.queue_id = '4STAGES1' ORDER BY r.rowid)")" \
  "bob@remote.test=FAILURE,DELAY carol@remote.test=- dave@remote.test=NEVER"

# abort: nothing for the aborted or the half message, the next one kept
eq "aborted message absent" "$(q "SELECT count(*) FROM milter_records
  WHERE queue_id IN ('4ABORTED1', '4HALF1')")" 0
eq "message after abort" "$(q "SELECT sender || ' ' || subject || ' ' ||
  (SELECT group_concat(address) FROM milter_recipients WHERE record = m.id)
  FROM milter_records m WHERE queue_id = '4KEPT1'")" \
  "kept@client.test kept y@remote.test"

# 100 messages on one connection, each with only its own facts
eq "100 records" "$(q "SELECT count(*) FROM milter_records
  WHERE queue_id LIKE '4MANY%'")" 100
eq "100 records, own subject and sender" "$(q "SELECT count(*) FROM
  milter_records WHERE queue_id LIKE '4MANY%' AND
  subject = 'message ' || CAST(substr(queue_id, 6) AS INTEGER) AND
  sender = 's' || CAST(substr(queue_id, 6) AS INTEGER) || '@client.test'
  AND message_id = '<many.' || CAST(substr(queue_id, 6) AS INTEGER) ||
  '@client.test>'")" 100
eq "100 records, own recipients" "$(q "SELECT count(*) FROM milter_recipients r
  JOIN milter_records m ON m.id = r.record WHERE m.queue_id LIKE '4MANY%' AND
  r.address NOT LIKE 'r' || CAST(substr(m.queue_id, 6) AS INTEGER) || '.%'")" 0
eq "100 records, recipient count" "$(q "SELECT count(*) FROM milter_recipients r
  JOIN milter_records m ON m.id = r.record WHERE m.queue_id LIKE '4MANY%'")" \
  "$(awk 'BEGIN { for (n = 1; n <= 100; n++) t += n % 3 + 1; print t }')"

# hostile headers: one line each, no CR/LF or controls, valid UTF-8, bounded
eq "no CR or LF anywhere" "$(q "SELECT count(*) FROM milter_records
  WHERE instr(ifnull(subject,'') || ifnull(from_header,'') ||
  ifnull(message_id,'') || ifnull(list_id,''), char(13)) > 0
  OR instr(ifnull(subject,'') || ifnull(from_header,'') ||
  ifnull(message_id,'') || ifnull(list_id,''), char(10)) > 0")" 0
eq "encoded CR/LF in Subject" "$(q "SELECT subject FROM milter_records
  WHERE queue_id = '4HOSTILE1'")" "hello  Bcc: injected@example"
eq "raw CR/LF in From" "$(q "SELECT from_header FROM milter_records
  WHERE queue_id = '4HOSTILE1'")" "Evil  X-Injected: yes <evil@remote.example>"
eq "invalid UTF-8 replaced" "$(q "SELECT hex(subject) FROM milter_records
  WHERE queue_id = '4HOSTILE3'")" \
  "$(printf 'bad \357\277\275\357\277\275 bytes and \357\277\275 encoded' |
     od -An -tx1 | tr -d ' \n' | tr a-f A-F)"
eq "null sender, no Message-ID" "$(q "SELECT quote(sender) || ' ' ||
  quote(message_id) FROM milter_records WHERE queue_id = '4HOSTILE3'")" "'' NULL"
eq "10 KB values bounded" "$(q "SELECT length(CAST(subject AS BLOB)) || ' ' ||
  length(CAST(from_header AS BLOB)) || ' ' || length(CAST(list_id AS BLOB))
  FROM milter_records WHERE queue_id = '4RAWBIG1'")" "1000 1000 500"
/usr/bin/python3 - "$DB" <<'PY' || fail "stored text is not valid UTF-8"
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.text_factory = bytes
for row in db.execute("SELECT subject, from_header, message_id, list_id,"
                      " sender FROM milter_records"):
    for v in row:
        if v is not None:
            v.decode("utf-8", "strict")
PY
echo "ok: every stored value is valid UTF-8"

# how the mail came in
eq "submission kinds" "$(q "SELECT group_concat(queue_id || '=' ||
  submission, ' ') FROM (SELECT queue_id, submission FROM milter_records
  WHERE queue_id IN ('4STAGES1', '4HOSTILE1', '4LOOP1', '4RAWLOCAL1',
  '4KEPT1') ORDER BY queue_id)")" \
  "4HOSTILE1=inbound 4KEPT1=trusted 4LOOP1=trusted 4RAWLOCAL1=local 4STAGES1=authenticated"

eq "nothing dropped" "$(q "SELECT ifnull(sum(value), 0) FROM counters")" 0
eq "total records" "$(q "SELECT count(*) FROM milter_records")" 108
grep -q 'error\|dropped' "$T/milter.log" && fail "milter logged an error"
echo "PASS"
