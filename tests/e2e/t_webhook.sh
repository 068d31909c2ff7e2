#!/bin/sh
# t_webhook.sh - webhook notices against a real receiver (plain HTTP on
# loopback): signatures verified by the receiver, delivered once, retried
# with the same id, and every status the policy names: 3xx not followed,
# 410 disables, 429/503 Retry-After honoured and capped, 500 and timeouts
# retried, a 1 GiB answer cut at the cap.
set -eu
. "$PB_SRCDIR/tests/e2e/webhook_lib.sh"

printf '{"event":"bounce","recipient":"bob@example.net","text":"caf\303\251 \\u2028 {{x}}"}' >"$tmp/body.json"
start_server wh
base=http://127.0.0.1:$port
L=$tmp/wh.log
ok="--allow-http --allow-private"   # loopback tests opt in to both

# delivered once, signature verified by the receiver
send "$base/ok" pb_once $ok
expect_rc 0
has status=200 class=success verdict=done
[ "$(records "$L" pb_once)" -eq 1 ] || fail "pb_once not recorded once"
grep '"id": "pb_once"' "$L" | grep -q '"sig_ok": true, "len": '"$(wc -c <"$tmp/body.json")"', "ctype": "application/json"' \
	|| fail "signature, length or type wrong: $(cat "$L")"

# a wrong secret is refused by the receiver (401): dead letter, not retried
good=$SECRET
SECRET=whsec_$(head -c 32 /dev/urandom | base64)
send "$base/ok" pb_badkey $ok
SECRET=$good
expect_rc 3
has status=401 class=permanent verdict=dead

# a retry reaches the receiver with the same id: 503 first, then 200
send "$base/flaky?fail=1" pb_flaky $ok
expect_rc 2
has status=503 class=throttle verdict=retry
send "$base/flaky?fail=1" pb_flaky $ok --attempt 2
expect_rc 0
[ "$(grep '"id": "pb_flaky"' "$L" | grep -c '"sig_ok": true')" -eq 2 ] \
	|| fail "pb_flaky: expected two signed attempts with one id"

# receiver down: retry; up again on the same port: the same id delivered
kill "$pid"
wait "$pid" 2>/dev/null || true
send "$base/ok" pb_down $ok
expect_rc 2
has status=0 curl=7 class=transient verdict=retry delay_ms=7500
start_server wh --port "${base##*:}"
send "$base/ok" pb_down $ok --attempt 2
expect_rc 0
has status=200
[ "$(records "$L" pb_down)" -eq 1 ] || fail "pb_down not recorded once"

# 3xx is not followed: dead letter (a moved endpoint needs its owner)
send "$base/redirect" pb_redirect $ok
expect_rc 3
has status=302 class=permanent verdict=dead
[ "$(records "$L" pb_redirect)" -eq 1 ] || fail "redirect was followed"
grep '"id": "pb_redirect"' "$L" | grep -q '"path": "/redirect"' || fail "redirect path"

# 410 disables the endpoint
send "$base/gone" pb_gone $ok
expect_rc 4
has status=410 class=gone verdict=disable

# 429 with Retry-After: honoured, then capped at 1 h
send "$base/throttle?after=2" pb_429 $ok
expect_rc 2
has status=429 class=throttle retry_after_ms=2000 verdict=retry delay_ms=2000
send "$base/throttle?after=999999" pb_429cap $ok
expect_rc 2
has retry_after_ms=999999000 delay_ms=3600000
# 503 with an HTTP-date 30 s ahead
send "$base/throttle-date?after=30" pb_503 $ok
expect_rc 2
has status=503 class=throttle
d=$(echo "$out" | sed -n 's/.* delay_ms=\([0-9]*\) .*/\1/p')
[ "$d" -ge 28000 ] && [ "$d" -le 31000 ] || fail "HTTP-date delay $d"

# 500: retry with backoff; past the maximum age: dead letter
send "$base/error" pb_500 $ok
expect_rc 2
has status=500 class=transient verdict=retry delay_ms=7500
send "$base/error" pb_500 $ok --attempt 30 --age-ms 172799000
expect_rc 3
has verdict=dead

# a stall longer than the 3 s total timeout: timed out, retried
t0=$(date +%s)
send "$base/stall?secs=6" pb_stall $ok --timeout-ms 3000
t1=$(date +%s)
expect_rc 2
has status=0 curl=28 class=transient verdict=retry
[ $((t1 - t0)) -le 5 ] || fail "timeout took $((t1 - t0)) s"

# a 1 GiB answer: success, 4096 bytes read, connection dropped
t0=$(date +%s)
send "$base/huge" pb_huge $ok --max-response 4096
t1=$(date +%s)
expect_rc 0
has status=200 class=success body_len=4096 capped=1
[ $((t1 - t0)) -le 3 ] || fail "huge body took $((t1 - t0)) s"

# plain http only when allowed; proxies in the environment are ignored
send "$base/ok" pb_nohttp
expect_rc 1
case $out in *"must be https"*) ;; *) fail "http accepted: $out" ;; esac
# (libcurl would otherwise use http_proxy even for 127.0.0.1)
export http_proxy=http://127.0.0.1:9 ALL_PROXY=http://127.0.0.1:9
send "$base/ok" pb_proxy $ok
unset http_proxy ALL_PROXY
expect_rc 0
# loopback is refused unless allowed, whatever the URL's spelling, and
# that is configuration (dead letter), not a passing failure
for u in "$base/ok" "http://[::ffff:127.0.0.1]:${base##*:}/ok" \
	"http://0x7f.1:${base##*:}/ok" "http://localhost:${base##*:}/ok"; do
	send "$u" pb_ssrf --allow-http
	expect_rc 3
	has status=0 class=permanent verdict=dead
	case $out in *"loopback, private or reserved"*) ;; *) fail "$out" ;; esac
done
[ "$(records "$L" pb_ssrf)" -eq 0 ] || fail "a refused address was reached"

# an id that could carry a header is refused before anything is sent
send "$base/ok" "pb_x
X-Evil: 1" $ok
expect_rc 1
grep -q Evil "$L" && fail "header injected"

# every request that reached the receiver was signed correctly but the
# one sent with the wrong key
[ "$(grep -c '"sig_ok": false' "$L")" -eq 1 ] || fail "unexpected bad signatures"
echo "t_webhook: all cases passed"
