#!/bin/sh
# /etc/test-init of the guests of tests/50-lguest-devices.sh (busybox sh).
# lgtest= on the command line picks the job, lgseed= the data's seed:
#   blk-write   fill /dev/vda (all of it, in MB) with the seed's stream
#   blk-verify  check that /dev/vda holds it
#   blk-flush   write it with a flush after every MB, saying FLUSHED n,
#               until the host kills the Launcher
#   blk-ro      /dev/vda must be read-only: a write must fail
#   net         eth0 at NET.2/24 (lgnet=NET, default 192.168.19): ping
#               the host at NET.1, send it 8 MB, then receive 8 MB from it
#               (port 5001)
#   rng         /dev/hwrng is the virtio one and gives bytes
#   reboot      first boot: mark /dev/vda and reboot; second: power off
#   wait        say GUEST-WAITING and sleep until the host kills it
# then "LGUEST-GUEST: PASS" or "LGUEST-GUEST: FAIL why" and power off.

verdict() {
	echo "LGUEST-GUEST: $*"
	poweroff -f
	sleep 10
}

opt() { sed -n "s/.*$1=\([^ ]*\).*/\1/p" /proc/cmdline; }
mode=$(opt lgtest)
seed=$(opt lgseed)
echo "guest: $(uname -r), mode $mode"
disk_mb() { echo $(($(cat /sys/block/vda/size) / 2048)); }

case $mode in
blk-write)
	mb=$(disk_mb)
	/lgio write /dev/vda "$seed" "$mb" || verdict FAIL "writing /dev/vda"
	verdict PASS
	;;
blk-verify)
	/lgio verify /dev/vda "$seed" "$(disk_mb)" || verdict FAIL "/dev/vda does not hold seed $seed"
	verdict PASS
	;;
blk-flush)
	/lgio write /dev/vda "$seed" "$(disk_mb)" --flush-each
	echo "GUEST-WAITING"
	while :; do sleep 1; done
	;;
blk-ro)
	[ "$(cat /sys/block/vda/ro)" = 1 ] || verdict FAIL "/dev/vda is not read-only"
	if echo x | dd of=/dev/vda conv=fsync 2>/dev/null; then
		verdict FAIL "a write to the read-only /dev/vda succeeded"
	fi
	/lgio verify /dev/vda "$seed" "$(disk_mb)" || verdict FAIL "read-only /dev/vda does not hold seed $seed"
	verdict PASS
	;;
net)
	ip link set lo up
	net=$(opt lgnet)
	net=${net:-192.168.19}
	ip addr add "$net.2/24" dev eth0 || verdict FAIL "no eth0"
	ip link set eth0 up
	ping -c 3 -W 5 "$net.1" || verdict FAIL "no ping reply from the host"
	/lgio send "$net.1" 5000 "$seed" 8 || verdict FAIL "sending to the host"
	/lgio recv 5001 $((seed + 1)) 8 || verdict FAIL "receiving from the host"
	verdict PASS
	;;
rng)
	cur=$(cat /sys/class/misc/hw_random/rng_current)
	echo "guest: hw_random: $cur"
	case $cur in virtio_rng*) ;; *) verdict FAIL "hw_random is '$cur', not virtio_rng" ;; esac
	n=$(dd if=/dev/hwrng bs=256 count=4 2>/dev/null | od -An -v -tu1 |
		tr -s ' ' '\n' | grep -c -v -e '^0$' -e '^$')
	[ "$n" -gt 900 ] || verdict FAIL "only $n non-zero bytes of 1024 from /dev/hwrng"
	verdict PASS
	;;
reboot)
	if [ "$(dd if=/dev/vda bs=8 count=1 2>/dev/null)" = REBOOTED ]; then
		echo "guest: second boot after the reboot"
		verdict PASS
	fi
	printf REBOOTED | dd of=/dev/vda conv=fsync 2>/dev/null
	echo "guest: rebooting"
	reboot -f
	;;
wait)
	echo "GUEST-WAITING"
	while :; do sleep 1; done
	;;
esac
verdict FAIL "unknown mode '$mode'"
