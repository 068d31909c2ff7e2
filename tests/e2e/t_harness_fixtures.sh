#!/bin/sh
# t_harness_fixtures.sh - the committed log fixtures are what the recorder
# makes: every scenario file holds its defining Postfix lines, every line is
# a Postfix syslog record, the README names version/date/TZ; then a fresh
# recording (tests/fixtures/record.sh into a temp dir) must show the same
# defining lines, so the fixtures stay reproducible.  Root; about 20 s.
set -u
here=$(cd "$(dirname "$0")" && pwd)
fixtures=$(cd "$here/../fixtures" && pwd)
fail=0

# bad - record a failure with a clear message.
bad() {
	echo "FAIL: $*" >&2
	fail=1
}

# need - FILE must contain at least COUNT lines matching the ERE.
need() {
	local file=$1 count=$2 re=$3 got
	got=$(grep -c -E -e "$re" "$file" 2>/dev/null)
	[ "${got:-0}" -ge "$count" ] || bad "$file: $got line(s) match /$re/, want >= $count"
}

# check_dir - the defining lines of each scenario in one logs directory.
check_dir() {
	local d=$1 f
	Q='[0-9A-F]{6,}'
	need "$d/sent.log" 1 "$Q: to=<ok@remote.test>, .*dsn=2\.0\.0, status=sent \(250 2\.0\.0 Ok: queued as [0-9A-Za-z]{12,}\)\$"
	need "$d/bounce-5.1.1.log" 1 "dsn=5\.1\.1, status=bounced \(host .* said: 550 5\.1\.1 "
	need "$d/bounce-5.1.1.log" 1 "bounce\[[0-9]+\]: $Q: sender non-delivery notification: $Q\$"
	need "$d/bounce-5.1.1.log" 1 "$Q: from=<>, size="
	need "$d/mixed-5rcpt.log" 1 "qmgr\[[0-9]+\]: $Q: from=<alice@client.test>, size=[0-9]+, nrcpt=5 "
	need "$d/mixed-5rcpt.log" 2 "to=<ok[14]@remote.test>, .*status=sent "
	need "$d/mixed-5rcpt.log" 1 "to=<nouser2@remote.test>, .*dsn=5\.1\.1, status=bounced "
	need "$d/mixed-5rcpt.log" 1 "to=<policy3@remote.test>, .*dsn=5\.7\.1, status=bounced .*in reply to RCPT TO command"
	need "$d/mixed-5rcpt.log" 2 "to=<full5@remote.test>, .*dsn=4\.2\.2, status=deferred "
	need "$d/mixed-5rcpt.log" 1 "status=expired, returned to sender\$"
	need "$d/mixed-5rcpt.log" 2 "sender non-delivery notification: "
	need "$d/deferred-then-sent.log" 1 "to=<grey1@remote.test>, .*dsn=4\.7\.1, status=deferred .*451 4\.7\.1 "
	need "$d/deferred-then-sent.log" 1 "to=<grey1@remote.test>, .*dsn=2\.0\.0, status=sent "
	need "$d/deferred-expired.log" 2 "to=<full@remote.test>, .*dsn=4\.2\.2, status=deferred "
	need "$d/deferred-expired.log" 1 "qmgr\[[0-9]+\]: $Q: from=<alice@client.test>, status=expired, returned to sender\$"
	need "$d/force-expired.log" 1 "postsuper\[[0-9]+\]: $Q: expired\$"
	need "$d/force-expired.log" 1 "qmgr\[[0-9]+\]: $Q: from=<alice@client.test>, status=force-expired, returned to sender\$"
	need "$d/noqueue-reject.log" 1 "smtpd\[[0-9]+\]: NOQUEUE: reject: RCPT from localhost\[127\.0\.0\.1\]: 554 5\.7\.1 <x@blocked\.test>"
	need "$d/noqueue-reject.log" 1 "smtpd\[[0-9]+\]: $Q: reject: RCPT from localhost\[127\.0\.0\.1\]: 554 5\.7\.1 <y@blocked\.test>"
	need "$d/content-reject.log" 1 "dsn=5\.7\.1, status=bounced \(host .* said: 550 5\.7\.1 Message content rejected by policy \(in reply to end of DATA command\)\)\$"
	need "$d/content-filter.log" 1 "to=<ok-cf@remote.test>, .*status=sent \(250 2\.0\.0 Ok: queued as $Q\)\$"
	need "$d/content-filter.log" 2 "message-id=<pb\."
	need "$d/local-submission.log" 1 "pickup\[[0-9]+\]: $Q: uid=0 from=<alice@client.test>\$"
	need "$d/local-unknown-user.log" 1 "local\[[0-9]+\]: $Q: to=<nosuchuser@localhost>, relay=local, .*dsn=5\.1\.1, status=bounced \(unknown user: \"nosuchuser\"\)\$"
	need "$d/error-transport.log" 1 "error\[[0-9]+\]: $Q: to=<x@error.test>, relay=none, .*dsn=5\.1\.2, status=bounced "
	need "$d/connection-refused.log" 1 "relay=none, .*dsn=4\.4\.1, status=deferred \(connect to 127\.0\.0\.1\[127\.0\.0\.1\]:[0-9]+: Connection refused\)\$"
	need "$d/connection-refused.log" 1 "postsuper\[[0-9]+\]: $Q: removed\$"
	need "$d/delay-notification.log" 1 "bounce\[[0-9]+\]: $Q: sender delay notification: $Q\$"
	need "$d/burst.log" 10 "to=<ok-burst@remote.test>, .*status=sent "
	need "$d/null-sender.log" 2 "qmgr\[[0-9]+\]: $Q: from=<>, size="
	need "$d/null-sender.log" 1 "to=<nouser-null@remote.test>, .*status=bounced "
	need "$d/remote-mx.log" 1 "mx postfix-mx/discard\[[0-9]+\]: [0-9A-Za-z]{12,}: to=<ok@remote.test>, relay=none, .*status=sent \(accepted by test MX\)\$"
	need "$d/README" 1 "^Postfix version: [0-9]+\.[0-9]+"
	need "$d/README" 1 "^TZ of the recording: "
	for f in "$d"/*.log; do
		# Every line is a Postfix record of A ("mail") or B ("mx").
		if grep -v -q -E '^[A-Z][a-z]{2} [ 0-9][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2} (mail postfix|mx postfix-mx)/[a-z-]+\[[0-9]+\]: ' "$f"; then
			bad "$f has a line that is not a Postfix record"
		fi
	done
}

check_dir "$fixtures/logs"
echo "committed fixtures checked"
grep -q '^# DERIVED fixture' "$fixtures/derived/qid-reuse.log" ||
	bad "derived/qid-reuse.log lacks its DERIVED header"

if [ "$(id -u)" != 0 ]; then
	echo "t_harness_fixtures: must run as root to re-record" >&2
	exit 77
fi
fresh=$(mktemp -d "${TMPDIR:-/tmp}/pbfix.XXXXXX") || exit 1
trap 'rm -rf "$fresh"' EXIT
if sh "$fixtures/record.sh" "$fresh" >"$fresh/record.out" 2>&1; then
	check_dir "$fresh"
	grep -q '^# DERIVED fixture' "$fresh/qid-reuse.derived" ||
		bad "record.sh did not derive the queue-ID reuse fixture"
	echo "fresh recording checked: $(tail -n 1 "$fresh/record.out")"
else
	bad "record.sh failed:"
	tail -n 40 "$fresh/record.out" >&2
fi
[ "$fail" = 0 ] && echo "t_harness_fixtures: ok"
exit "$fail"
