#!/bin/sh
# bootstrap.sh - install the Debian packages plainbounce builds, tests and
# benchmarks with, before make asks pkg-config for anything.
#
# Idempotent: when everything is present it prints nothing and exits 0.
# As root it installs what is missing with apt-get; otherwise it names the
# missing packages and the command to run, and exits 1.
#
# No system service is configured or started: Postfix gets the "No
# configuration" preseed, and while apt-get runs a policy-rc.d that answers
# 101 ("action forbidden") keeps invoke-rc.d and deb-systemd-invoke from
# starting Dovecot (dovecot-core's postinst would otherwise start a system
# auth service).  Tests run their own private Postfix and Dovecot.  An
# existing policy-rc.d (as in Docker images) is left as it is.
set -eu

PACKAGES="
pkg-config gcc make
libconfig-dev libsqlite3-dev sqlite3 libjansson-dev
libcurl4-openssl-dev libssl-dev openssl
check libsubunit-dev zlib1g-dev libsystemd-dev systemd systemd-journal-remote
libmilter-dev miltertest
postfix dovecot-core python3 python3-aiosmtpd
pflogsumm clang libclang-rt-14-dev cppcheck procps valgrind groff-base man-db
"

missing=""
for p in $PACKAGES; do
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$status" in
	*"ok installed") ;;
	*) missing="$missing $p" ;;
	esac
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "plainbounce: missing Debian packages:$missing" >&2
	echo "plainbounce: as root run: apt-get install$missing" >&2
	exit 1
fi

echo "plainbounce: installing missing packages:$missing" >&2
# Postfix must not configure or start a system instance: tests run their own.
echo 'postfix postfix/main_mailer_type select No configuration' |
	debconf-set-selections
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\n# plainbounce bootstrap: no service starts during install\nexit 101\n' >"$policy"
	chmod 755 "$policy"
	trap 'rm -f "$policy"' EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing </dev/null >/dev/null
