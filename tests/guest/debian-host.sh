#!/bin/sh
# /etc/test-init of the lguest host in tests/65-debian-guest.sh (busybox
# sh): run the Debian image of scripts/mkdebian.sh (QEMU's disk, /dev/vda
# here, a snapshot: nothing reaches the file) as a 256 MB guest's root,
# and use it as a user would, typing on its console (hvc0) through the
# Launcher: log in as root, run tests/guest/debian-checks.sh (systemd's
# state, journald and logind, dpkg --verify, apt-get, the network), reach
# its SSH server from here over the tap, `systemctl reboot` (the guest
# boots again in the same Launcher), log in again and `systemctl
# poweroff`, after which the Launcher must exit 0.
# shellcheck source=tests/guest/lib.sh
. /etc/test-lib.sh

LOG=/tmp/guest.log
NET=192.168.233

# wait_for TEXT COUNT SECS: until the guest's console has shown TEXT
# COUNT times (lines that have it); fail after SECS seconds.
wait_for() {
	if ! wait_text $LOG "$1" "$2" "$3" "$lpid"; then
		fail "no '$1' (number $2) from the guest after $waited s"
		return 1
	fi
	echo "host: '$1' (number $2) after $waited s"
}

# keys LINE: type LINE and Enter on the guest's console.
keys() {
	echo "host: typing: $1"
	printf '%s\n' "$1" >&3
}

# login N: log in as root at the guest's Nth login prompt, and wait for
# the shell's prompt.
login() {
	wait_for 'lguest-guest login:' "$1" 1200 || return 1
	sleep 2
	prompts=$(grep -c 'root@lguest-guest:~#' $LOG)
	keys root
	wait_for 'root@lguest-guest:~#' $((prompts + 1)) 600
}

echo "host: $(uname -srm), CPUs online: $(cat /sys/devices/system/cpu/online)"
load_lg
[ -b /dev/vda ] || result FAIL "no /dev/vda: QEMU gave the host no Debian image"
mkdir -p /mnt
mount -t ext4 /dev/vda /mnt || result FAIL "cannot mount the Debian image"
cp /debian-checks.sh /mnt/root/lguest-checks.sh
umount /mnt

# The console: the Launcher reads a FIFO this script writes (opened
# read-write so that neither open waits for the other), and its output
# goes to this console and to $LOG.
mkfifo /tmp/in
exec 3<>/tmp/in
: >$LOG
echo "host: lguest --block=/dev/vda --tunnet=$NET.1 256 /guest-bzImage root=/dev/vda ro"
(
	/lguest --block=/dev/vda --tunnet=$NET.1 256 /guest-bzImage root=/dev/vda ro \
		</tmp/in 2>&1
	echo "host: the Launcher exited with status $?"
) | tee $LOG &
sleep 1
lpid=$(pidof lguest)

if login 1; then
	keys 'sh /root/lguest-checks.sh'
	wait_for 'DEBIAN-CHECKS-DONE' 1 900
	grep -q 'DEBIAN-CHECKS-DONE failed=0' $LOG ||
		fail "the checks in the guest did not all pass (DEBIAN-CHECK: FAIL above)"

	echo "host: === the guest's SSH server, from the host over the tap"
	banner=$(timeout 30 nc $NET.2 22 </dev/null | head -n 1)
	echo "host: $NET.2:22 says: $banner"
	case $banner in
	SSH-2.0-OpenSSH*) ;;
	*) fail "no SSH banner from $NET.2:22" ;;
	esac

	echo "host: === systemctl reboot: the guest boots again in this Launcher"
	keys 'systemctl reboot'
	if login 2; then
		keys 'systemctl poweroff'
	fi
fi

# Not wait_for: the Launcher is gone just before the line comes.
wait_text $LOG 'host: the Launcher exited' 1 300 ||
	fail "the Launcher did not exit within 300 s of systemctl poweroff"
grep -q 'host: the Launcher exited with status 0' $LOG ||
	fail "the Launcher did not exit with status 0 after systemctl poweroff"
checks_done
