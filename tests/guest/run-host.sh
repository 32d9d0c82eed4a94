#!/bin/sh
# /etc/test-init of the host that scripts/run.sh boots (busybox sh): load
# lg.ko if the host is modular, run one guest with the Launcher on this
# console, report how it ended and power the host off. The guest's memory
# and command line come from the host's command line (lgrun.mem=MB,
# lgrun.args=A,B,C with commas for spaces); with lgrun.debian=1 the guest's
# root is the host's disk /dev/vda (scripts/run.sh --debian).
# shellcheck source=tests/guest/lib.sh
. /etc/test-lib.sh

load_lg
mem=$(cmdline_opt lgrun.mem 128)
args=$(cmdline_opt lgrun.args '' | tr , ' ')
echo "host: $(uname -srm) with $(grep -c ^processor /proc/cpuinfo) CPUs; starting a $mem MB guest:"
if [ "$(cmdline_opt lgrun.debian 0)" = 1 ]; then
	# scripts/run.sh --debian: QEMU's disk is the guest's Debian root.
	echo "host:   lguest --block=/dev/vda --tunnet=192.168.233.1 $mem /guest-bzImage root=/dev/vda ro $args"
	if [ "$(cmdline_opt lgrun.auto 0)" = 0 ]; then
		echo "host: log in as root (no password); 'systemctl poweroff' ends the guest"
		# shellcheck disable=SC2086 # args are words
		/lguest --block=/dev/vda --tunnet=192.168.233.1 "$mem" /guest-bzImage \
			root=/dev/vda ro $args
	else
		# No terminal: log in for the user (the Launcher reads a FIFO),
		# show the boot times, power off.
		mkfifo /tmp/in
		exec 3<>/tmp/in
		# shellcheck disable=SC2086 # args are words
		/lguest --block=/dev/vda --tunnet=192.168.233.1 "$mem" /guest-bzImage \
			root=/dev/vda ro $args </tmp/in >/tmp/guest.log 2>&1 &
		lpid=$!
		tail -f /tmp/guest.log &
		wait_text /tmp/guest.log 'login:' 1 1200 $lpid
		sleep 2
		echo root >&3
		wait_text /tmp/guest.log 'root@' 1 600 $lpid
		printf 'systemd-analyze; systemctl poweroff\n' >&3
		wait $lpid
	fi
else
	echo "host:   lguest --initrd=/guest.cpio.gz $mem /guest-bzImage $args"
	# shellcheck disable=SC2086 # args are words
	/lguest --initrd=/guest.cpio.gz "$mem" /guest-bzImage $args
fi
rc=$?
echo "host: the Launcher exited with status $rc"
[ $rc = 0 ] && result PASS
result FAIL "Launcher exit status $rc"
