#!/bin/sh
# /etc/test-init of the lguest host in tests/60-selftests-lguest.sh (busybox
# sh): run the x86 selftests in a 256 MB guest (its init is
# tests/guest/run-selftests.sh) and pass on its SELFTEST lines; the
# guest's own result marker is renamed GUEST-RESULT, so that the host's
# is the one that counts.
# shellcheck source=tests/guest/lib.sh
. /etc/test-lib.sh

load_lg
args=$(cmdline_opt lgargs '' | tr , ' ')
echo "host: selftests in an lguest guest: $args"
{
	# shellcheck disable=SC2086 # args are words
	/lguest --initrd=/guest.cpio.gz 256 /guest-bzImage test.poweroff=1 $args </dev/null 2>&1
	echo "$?" >/tmp/rc
} | sed 's/LGUEST-RESULT:/GUEST-RESULT:/'
rc=$(cat /tmp/rc)
echo "host: Launcher exit status $rc"
[ "$rc" = 0 ] || result FAIL "Launcher exit status $rc"
result PASS
