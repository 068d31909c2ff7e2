#!/bin/sh
# demo.sh - `make demo`: plainbounce on a real, private Postfix in one go.
#
# Starts the harness's sandboxed Postfix pair (A sends, B plays the remote
# server and refuses some recipients), sends a handful of messages that end
# in the outcomes people ask about, then lets plainbounce tell each story:
# `plainbounce trace` per message, `plainbounce explain` for one raw line,
# and `plainbounce classify` for the remote's words.  Everything runs in a
# temp dir on loopback and is stopped and removed at the end.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
: "${PB_SRCDIR:=$(cd "$here/../.." && pwd)}"
: "${PB_BUILDDIR:=$PB_SRCDIR/build/default}"
pb="$PB_BUILDDIR/plainbounce"
rules="$PB_SRCDIR/config/classify.rules"
. "$here/harness.sh"

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "Starting a private Postfix pair on loopback"
pb_start
echo "A (ours) on 127.0.0.1:$PB_PORT_A, B (the remote) on 127.0.0.1:$PB_PORT_B;" \
	"up in ${PB_STARTUP_MS} ms"

say "Sending messages as alice@client.test"
ok=$(pb_send --from alice@client.test --to ok@remote.test \
	--subject "Quarterly report")
echo "  $ok  to ok@remote.test              (will be accepted)"
typo=$(pb_send --from alice@client.test --to nouser.bob@remote.test \
	--subject "Lunch on Friday?")
echo "  $typo  to nouser.bob@remote.test      (no such mailbox)"
full=$(pb_send --from alice@client.test --to full.carol@remote.test \
	--subject "Invoice 2291")
echo "  $full  to full.carol@remote.test      (mailbox full, retried)"
grey=$(pb_send --from alice@client.test --to grey.dan@remote.test \
	--subject "Minutes")
echo "  $grey  to grey.dan@remote.test        (greylisted at first)"
mixed=$(pb_send --from alice@client.test --to ok.erin@remote.test \
	--to nouser.frank@remote.test --to policy.gina@remote.test \
	--to ok.hugo@remote.test --to full.ivan@remote.test \
	--subject "Team offsite plan")
echo "  $mixed  to five people                 (mixed outcomes)"
closed=$(pb_send --from alice@client.test --to jo@closed.test \
	--subject "Contract draft")
echo "  $closed  to jo@closed.test             (their server is down)"

pb_wait_log -F "$typo: removed" >/dev/null
pb_wait_log -F "$grey: to=<grey.dan@remote.test>" >/dev/null
say "Lifting the greylist and retrying now"
pb_mx_lift grey.dan@remote.test
pb_retry "$grey"
pb_wait_log -F "$grey: removed" >/dev/null
say "Giving up on the mailbox-full and down-server messages (postsuper -e)"
for q in "$full" "$mixed" "$closed"; do
	pb_wait_log -F "$q: to=<" >/dev/null
	pb_expire "$q"
	pb_wait_log -F "$q: removed" >/dev/null
done
pb_wait_quiet

say "What the log says: $(wc -l < "$PB_A_LOG") lines, for example"
line=$(grep -F "$typo: to=<" "$PB_A_LOG" | head -n 1)
echo "$line"
say "plainbounce explain (that line, field by field)"
"$pb" explain "$line" || true

for q in "$ok" "$typo" "$grey" "$full" "$mixed" "$closed"; do
	say "plainbounce trace --queue-id $q"
	"$pb" trace --rules "$rules" --queue-id "$q" "$PB_A_LOG" || true
done

say "plainbounce classify (the remote's words, in plain language)"
grep -o 'said: [0-9][^(]*' "$PB_A_LOG" | sed 's/^said: //' | sort -u |
while IFS= read -r reply; do
	reply=${reply% }
	printf '%s\n  -> ' "$reply"
	"$pb" classify --rules "$rules" "$reply" || true
done

say "Done: stopping Postfix and removing $PB_T"
