#!/bin/sh
# t_mailer.sh - email notices through a real SMTP server (aiosmtpd) that
# keeps every message: each is parsed by Python's email package with the
# strict policy (any defect raises) and must have exactly the intended
# headers, an encoded Subject, In-Reply-To/References to the original, a
# null envelope sender (or the configured one), text and HTML parts.
# Hostile subjects and replies (CR/LF, =0D=0A, 10 KB, invalid UTF-8,
# {{x}}, controls and bidi) must change nothing but the subject text and
# the quoted reply.  A 4xx reply is retried, a 5xx one is a dead letter.
set -eu
. "$PB_SRCDIR/tests/e2e/webhook_lib.sh"

mkdir -p "$tmp/mail" "$tmp/in"
$PY "$E2E/smtp_capture.py" --dir "$tmp/mail" --port-file "$tmp/smtp.port" \
	2>"$tmp/smtp.err" &
pid=$!
pids="$pids $pid"
wait_port smtp "$pid"
relay=smtp://127.0.0.1:$port/notices.example.org
DATE=1764300000
printf '<orig.4711@client.example.org>' >"$tmp/orig"
n=0

# mail TO SUBJECT-FILE REPLY-FILE [OPTIONS] - one notice; sets $out, $rc
mail() {
	to=$1 sf=$2 rf=$3
	shift 3
	n=$((n + 1))
	set +e
	out=$("$PB_SEND" mail --relay "$relay" --from notices@example.org \
		--from-name "Mail Desk" --to "$to" --subject-file "$sf" \
		--reply-file "$rf" --orig-msgid-file "$tmp/orig" \
		--msgid "<pb.$n.notice@example.org>" --date $DATE "$@" 2>&1)
	rc=$?
	set -e
	echo "mail $n -> rc=$rc $out"
}

cat >"$tmp/check.py" <<'PY'
# check.py EML JSON SUBJECT-EXPECTED ENV-FROM THREAD NAME -> frame on stdout
import email, email.policy, email.utils, json, re, sys
eml, env, want_subj, env_from, thread, name = sys.argv[1:7]
raw = open(eml, "rb").read()
def die(why):
    sys.exit("check %s: %s" % (eml, why))
if re.search(rb"(?<!\r)\n|\r(?!\n)", raw):
    die("bare CR or LF on the wire")
if any(b > 127 for b in raw):
    die("8-bit byte on the wire")
if any(len(l) > 998 for l in raw.split(b"\r\n")):
    die("line over 998 octets")
msg = email.message_from_bytes(raw, policy=email.policy.strict)
keys = ["Date", "From", "To", "Subject", "Message-ID"]
if thread == "1":
    keys += ["In-Reply-To", "References"]
keys += ["Auto-Submitted", "X-Auto-Response-Suppress", "MIME-Version",
         "Content-Type"]
if msg.keys() != keys:
    die("headers %r" % msg.keys())
e = json.load(open(env))
# aiosmtpd reports the null sender (MAIL FROM:<>) as "<>"
if e["mail_from"] != (env_from or "<>") or e["rcpt_tos"] != ["alice@example.org"]:
    die("envelope %r" % e)
subj = str(msg["Subject"])
if "\r" in subj or "\n" in subj or not subj.startswith("Undelivered: "):
    die("subject %r" % subj)
if want_subj.startswith("="):
    if subj != want_subj[1:]:
        die("subject %r != %r" % (subj, want_subj[1:]))
elif want_subj.startswith("#"):
    if len(subj) != int(want_subj[1:]) or not subj.endswith("..."):
        die("subject length %d %r" % (len(subj), subj[-10:]))
rawsubj = re.search(rb"\r\nSubject: (.*?)\r\n(?! )", raw, re.S).group(1)
if not subj.isascii() or "=?" in subj:
    if not rawsubj.startswith(b"=?UTF-8?B?"):
        die("subject not encoded: %r" % rawsubj)
if msg["Auto-Submitted"] != "auto-generated" or \
   msg["X-Auto-Response-Suppress"] != "All":
    die("auto headers")
if thread == "1" and (msg["In-Reply-To"] != "<orig.4711@client.example.org>"
                      or msg["References"] != msg["In-Reply-To"]):
    die("threading %r" % msg["In-Reply-To"])
if email.utils.parsedate_to_datetime(msg["Date"]).timestamp() != 1764300000:
    die("date")
frm = msg["From"].addresses[0]
if (frm.display_name, frm.addr_spec) != (name, "notices@example.org"):
    die("from %r" % msg["From"])
if msg["To"].addresses[0].addr_spec != "alice@example.org":
    die("to")
if msg.get_content_type() != "multipart/alternative":
    die("type")
parts = [p for p in msg.iter_parts()]
struct = [(p.get_content_type(), p.get_content_charset(),
           p["Content-Transfer-Encoding"]) for p in parts]
if struct != [("text/plain", "utf-8", "quoted-printable"),
              ("text/html", "utf-8", "quoted-printable")]:
    die("parts %r" % struct)
# the decoded parts keep the wire's CRLF line ends; anything else is not
text, html = [p.get_content().replace("\r\n", "\n") for p in parts]
for t in (text, html):
    if "MARK" not in t:
        die("quoted reply missing")
    if re.search("[\x00-\x08\x0b-\x1f\x7f\u202a-\u202e]", t):
        die("control character in a body")
# the frame: everything but the subject, our Message-ID and the quote
tq = re.sub(r"(?m)^> .*$", "> <Q>", text)
hq = re.sub(r"(?s)<blockquote>.*</blockquote>", "<Q>", html)
if "<" in hq.replace("<p>", "").replace("</p>", "").replace("<Q>", ""):
    die("markup from the reply reached the HTML")
print(json.dumps({"keys": msg.keys(), "from": msg["From"], "to": msg["To"],
                  "date": msg["Date"], "irt": msg["In-Reply-To"],
                  "parts": struct, "text": tq, "html": hq}, sort_keys=True))
PY

# check N SUBJECT-EXPECTATION [ENV-FROM [THREAD [NAME]]] - message N
check() {
	$PY "$tmp/check.py" "$tmp/mail/$1.eml" "$tmp/mail/$1.json" "$2" \
		"${3:-}" "${4:-1}" "${5:-Mail Desk}" >"$tmp/frame.$1" ||
		fail "message $1 rejected"
}

# the baseline notice
printf 'Quarterly report' >"$tmp/in/s0"
printf '550 5.1.1 <bob@example.net>: Recipient address rejected: User unknown MARK' >"$tmp/in/r0"
mail alice@example.org "$tmp/in/s0" "$tmp/in/r0"
expect_rc 0
has smtp=250 class=success verdict=done
check 1 "=Undelivered: Quarterly report"
grep -q '"from": "Mail Desk <notices@example.org>"' "$tmp/frame.1" || fail frame
base=$n

# hostile subjects and replies: only the subject and the quote may change
printf 'Hi\r\nBcc: victim@example.com\r\n\r\nbody' >"$tmp/in/s1"
printf '550 x\r\n.\r\nMAIL FROM:<evil@example.com>\r\nMARK' >"$tmp/in/r1"
printf '=?utf-8?Q?a=0D=0ABcc:_victim@example.com?=' >"$tmp/in/s2"
printf '550 =0D=0A=2E=0D=0A MARK =?utf-8?Q?=0D=0A?=' >"$tmp/in/r2"
head -c 10240 /dev/zero | tr '\0' 'x' >"$tmp/in/s3"
{ head -c 10240 /dev/zero | tr '\0' 'z'; printf ' MARK'; } >"$tmp/in/r3"
printf 'caf\303\251 \377\376 bad \355\240\200' >"$tmp/in/s4"
printf '550 \303\050 \355\240\200 \377 MARK' >"$tmp/in/r4"
printf '{{x}} {{subject}} %%s %%n' >"$tmp/in/s5"
printf '{{recipient}} %%s <script>x</script> & MARK' >"$tmp/in/r5"
printf 'a\rb\033[2J\342\200\256evil\000tail' >"$tmp/in/s6"
printf '\000\033[2J\342\200\256MARK\r' >"$tmp/in/r6"
expect1="=Undelivered: Hi Bcc: victim@example.com body"
expect2="=Undelivered: =?utf-8?Q?a=0D=0ABcc:_victim@example.com?="
expect3="#203"
expect4="=Undelivered: café �� bad ���"
expect5="=Undelivered: {{x}} {{subject}} %s %n"
# (bidi controls become a space; the driver reads a C string, so NUL ends it)
expect6="=Undelivered: a b [2J evil"
for i in 1 2 3 4 5 6; do
	mail alice@example.org "$tmp/in/s$i" "$tmp/in/r$i"
	expect_rc 0
	eval "check $n \"\$expect$i\""
	cmp -s "$tmp/frame.$base" "$tmp/frame.$n" ||
		fail "case $i changed more than the quote: $(diff "$tmp/frame.$base" "$tmp/frame.$n")"
done

# an invalid original Message-ID: no threading, nothing else changes
printf '<orig@example.org>\r\nBcc: victim@example.com' >"$tmp/orig"
mail alice@example.org "$tmp/in/s0" "$tmp/in/r0"
expect_rc 0
check $n "=Undelivered: Quarterly report" "" 0
printf '<orig.4711@client.example.org>' >"$tmp/orig"

# a non-ASCII display name, with a line break in it, is encoded and folded
mail alice@example.org "$tmp/in/s0" "$tmp/in/r0" \
	--from-name "$(printf '\303\211quipe courrier\r\nBcc: victim@example.com')"
expect_rc 0
check $n "=Undelivered: Quarterly report" "" 1 \
	"Équipe courrier Bcc: victim@example.com"

# a configured envelope sender instead of the null sender
mail alice@example.org "$tmp/in/s0" "$tmp/in/r0" --env-from bounces@example.org
expect_rc 0
check $n "=Undelivered: Quarterly report" bounces@example.org
accepted=$n

# 4xx: retry; 5xx: dead letter; neither leaves a message
mail tempfail@example.org "$tmp/in/s0" "$tmp/in/r0"
expect_rc 2
has smtp=451 class=transient verdict=retry
mail reject@example.org "$tmp/in/s0" "$tmp/in/r0"
expect_rc 3
has smtp=550 class=permanent verdict=dead
# the relay drops the connection after the final dot: retry; the retry
# carries the same Message-ID, so the duplicate is recognisable
mail dropfirst@example.org "$tmp/in/s0" "$tmp/in/r0" --msgid "<pb.drop@example.org>"
expect_rc 2
has class=transient verdict=retry
mail dropfirst@example.org "$tmp/in/s0" "$tmp/in/r0" --msgid "<pb.drop@example.org>"
expect_rc 0
[ "$(grep -l '^Message-ID: <pb.drop@example.org>' "$tmp"/mail/*.eml | wc -l)" -eq 2 ] ||
	fail "expected the message twice with one Message-ID"
accepted=$((accepted + 2))

# an address that could inject an SMTP command is refused before sending
mail "alice@example.org
RCPT TO:<victim@example.com>" "$tmp/in/s0" "$tmp/in/r0"
expect_rc 1
[ "$(ls "$tmp/mail" | grep -c '\.eml$')" -eq "$accepted" ] ||
	fail "unexpected messages: $(ls "$tmp/mail")"

# the relay down: retry
kill "$pid"
wait "$pid" 2>/dev/null || true
mail alice@example.org "$tmp/in/s0" "$tmp/in/r0"
expect_rc 2
has smtp=0 curl=7 class=transient verdict=retry
echo "t_mailer: all cases passed"
