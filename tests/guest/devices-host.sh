#!/bin/sh
# /etc/test-init of the lguest host in tests/50-lguest-devices.sh (busybox
# sh): guests with disks, a network, entropy, a reboot and dropped
# privileges, each checked from the host side (tests/guest/devices-guest.sh
# is the guests' side, /lgio the data tool of tests/guest/lgio.c).
# shellcheck source=tests/guest/lib.sh
. /etc/test-lib.sh

GUEST="/guest-bzImage"

# run_guest NAME [LAUNCHER ARGS...] -- [GUEST ARGS...]: run a 64 MB guest
# to its end in the background; its output in /tmp/NAME.log, the
# Launcher's pid in $pid. finish NAME waits for it and checks it passed.
run_guest() {
	name=$1
	shift
	largs=""
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		largs="$largs $1"
		shift
	done
	[ $# -gt 0 ] && shift
	echo "host: guest $name: lguest$largs 64 $GUEST $*"
	# shellcheck disable=SC2086 # largs are words
	/lguest $largs --initrd=/guest.cpio.gz 64 "$GUEST" "$@" </dev/null >"/tmp/$name.log" 2>&1 &
	pid=$!
}

finish() {
	wait "$2"
	rc=$?
	sed "s/^/[$1] /" "/tmp/$1.log"
	echo "host: guest $1: Launcher exit status $rc"
	if [ "$rc" != 0 ]; then
		fail "guest $1: Launcher exit status $rc"
	elif ! grep -q 'LGUEST-GUEST: PASS' "/tmp/$1.log"; then
		fail "guest $1: no 'LGUEST-GUEST: PASS'"
	fi
}

# wait_for NAME TEXT: until the guest's output has TEXT (at most 300 s).
wait_for() {
	i=0
	while ! grep -q "$2" "/tmp/$1.log" && [ $i -lt 300 ]; do
		sleep 1
		i=$((i + 1))
	done
	grep -q "$2" "/tmp/$1.log" || { fail "guest $1: never said '$2'"; return 1; }
}

image() { dd if=/dev/zero of="$1" bs=1M count="$2" 2>/dev/null; }

echo "host: $(uname -srm), CPUs online: $(cat /sys/devices/system/cpu/online)"
load_lg
p=$(pinned)
pins_at_start=${p% *}

echo "host: === block: a guest fills a 64 MB disk, the host and a second guest check it"
image /tmp/a.img 64
run_guest blk-write --block=/tmp/a.img -- lgtest=blk-write lgseed=11
finish blk-write $pid
/lgio verify /tmp/a.img 11 64 || fail "the host does not find the guest's data in a.img"
run_guest blk-verify --block=/tmp/a.img -- lgtest=blk-verify lgseed=11
finish blk-verify $pid

echo "host: === block: a disk on a read-only file system is read-only"
if ! { mkdir -p /ro && mount -t tmpfs -o size=80m tmpfs /ro &&
	cp /tmp/a.img /ro/a.img && mount -o remount,ro /ro; }; then
	fail "cannot make a read-only file system"
fi
run_guest blk-ro --block=/ro/a.img -- lgtest=blk-ro lgseed=11
finish blk-ro $pid
umount /ro

echo "host: === block: the Launcher killed mid-write keeps every flushed MB"
image /tmp/f.img 32
run_guest blk-flush --block=/tmp/f.img -- lgtest=blk-flush lgseed=12
if wait_for blk-flush 'FLUSHED 6'; then
	kill -KILL "$pid"
	wait "$pid"
	n=$(sed -n 's/.*FLUSHED \([0-9]*\).*/\1/p' /tmp/blk-flush.log | tail -n 1)
	echo "host: killed after FLUSHED $n"
	/lgio verify /tmp/f.img 12 "$n" || fail "a flushed MB of f.img is not intact"
fi

echo "host: === block: two guests at the same time, each with its own disk (one with --doorbells)"
image /tmp/b.img 16
image /tmp/c.img 16
run_guest two-b --block=/tmp/b.img -- lgtest=blk-write lgseed=21
pb=$pid
run_guest two-c --doorbells --block=/tmp/c.img -- lgtest=blk-write lgseed=22
pc=$pid
finish two-b $pb
finish two-c $pc
/lgio verify /tmp/b.img 21 16 || fail "b.img does not hold the first guest's data"
/lgio verify /tmp/c.img 22 16 || fail "c.img does not hold the second guest's data"

# net_test NAME NET SEED TUNNET [OPTION]: a guest at NET.2 with
# --tunnet=TUNNET (and the Launcher OPTION) and the host at NET.1 ping each
# other and exchange 8 MB each way, the data checked by the receiver (the
# guest sends seed SEED, the host SEED + 1).
net_test() {
	/lgio recv 5000 "$3" 8 >"/tmp/$1-recv.log" 2>&1 &
	prx=$!
	# shellcheck disable=SC2086 # $5 is an option or nothing
	run_guest "$1" "--tunnet=$4" $5 -- lgtest=net "lgnet=$2" "lgseed=$3"
	pnet=$pid
	if wait_for "$1" 'LISTENING 5001'; then
		ping -c 2 -W 5 "$2.2" || fail "$1: the guest does not answer the host's ping"
		/lgio send "$2.2" 5001 $(($3 + 1)) 8 || fail "$1: sending 8 MB to the guest"
	fi
	finish "$1" "$pnet"
	# A guest that failed early never connected: wait 30 s at most.
	i=0
	while kill -0 "$prx" 2>/dev/null && [ $i -lt 30 ]; do
		sleep 1
		i=$((i + 1))
	done
	kill "$prx" 2>/dev/null
	wait "$prx"
	cat "/tmp/$1-recv.log"
	grep -q 'RECV OK 8 MB' "/tmp/$1-recv.log" ||
		fail "$1: the host did not receive the guest's 8 MB intact"
}

echo "host: === network: pings and 8 MB each way over a tap"
net_test net 192.168.19 31 192.168.19.1

echo "host: === network: the same through a bridge of the host, with --doorbells"
if ! { ip link add lgbr0 type bridge && ip addr add 192.168.20.1/24 dev lgbr0 &&
	ip link set lgbr0 up; }; then
	fail "cannot make the bridge lgbr0"
fi
net_test net-bridge 192.168.20 33 bridge:lgbr0 --doorbells
ip link del lgbr0

echo "host: === entropy: virtio-rng, with --doorbells"
run_guest rng --rng --doorbells -- lgtest=rng
finish rng $pid

echo "host: === reboot: the guest reboots and comes back in the same Launcher, with --doorbells"
image /tmp/r.img 1
run_guest reboot --block=/tmp/r.img --doorbells -- lgtest=reboot
finish reboot $pid
grep -q 'second boot after the reboot' /tmp/reboot.log || fail "the guest did not come back after its reboot"

# stat NAME FILE: a counter of the host's stats FILE for a guest.
stat() { sed -n "s/^$1 //p" "$2"; }

echo "host: === privileges: --chroot and --username; the host answers the device registers"
mkdir -p /jail
run_guest priv --block=/tmp/r.img --chroot=/jail --username=lguest --doorbells -- lgtest=wait
ppriv=$pid
if wait_for priv GUEST-WAITING; then
	# The guest read its disk's partition table through the doorbell
	# and took the interrupt status from lguest_data, where the host put
	# it, mostly without reading and acknowledging a status register
	# (it does when it finds none there).
	mount -t debugfs none /sys/kernel/debug 2>/dev/null
	f=''
	for d in /sys/kernel/debug/lguest/"$ppriv"-*; do
		[ -e "$d/stats" ] && f=$d/stats
	done
	if [ -z "$f" ]; then
		fail "no debugfs stats for the guest of Launcher $ppriv"
	else
		echo "host: doorbell $(stat doorbell "$f"), host_mmio $(stat host_mmio "$f"), launcher_mmio $(stat launcher_mmio "$f"), irq_status $(stat irq_status "$f")"
		[ "$(stat doorbell "$f")" -gt 0 ] || fail "--doorbells: no doorbell rang"
		[ "$(stat irq_status "$f")" -gt 0 ] ||
			fail "the host put no interrupt status in lguest_data"
		[ $(($(stat host_mmio "$f") - $(stat doorbell "$f"))) -lt "$(stat irq_status "$f")" ] ||
			fail "the guest read its status registers as often as lguest_data"
	fi
	uids=$(sed -n 's/^Uid:[[:space:]]*//p' "/proc/$ppriv/status")
	root=$(readlink "/proc/$ppriv/root")
	echo "host: the Launcher runs with uids '$uids', root '$root'"
	[ "$uids" = "$(printf '1000\t1000\t1000\t1000')" ] || fail "the Launcher's uids are '$uids', want 1000"
	[ "$root" = /jail ] || fail "the Launcher's root is '$root', want /jail"
fi
kill -KILL "$ppriv"
wait "$ppriv"

echo "host: === bad values are refused before the guest starts"
for bad in --block=/nonexistent --tunnet=300.1.1.1 --tunnet=bridge:nosuchbr \
	--username=nosuchuser --chroot=/nonexistent; do
	/lguest "$bad" 64 "$GUEST" </dev/null >/tmp/bad.log 2>&1
	rc=$?
	echo "host: lguest $bad: status $rc: $(head -n 1 /tmp/bad.log)"
	[ $rc = 1 ] || fail "lguest $bad: exit status $rc, want 1"
done

echo "host: === Launchers killed at any moment leave no guest memory behind"
memfree() {
	sync
	echo 3 >/proc/sys/vm/drop_caches
	awk '/^MemFree:/ { print $2 }' /proc/meminfo
}
image /tmp/k.img 32
before=$(memfree)
p=$(pinned)
pins_before=${p% *} taken_before=${p#* }
for delay in 0 1 2 3 5 8; do
	# blk-flush never ends by itself: each one is killed, busy or idle.
	run_guest "kill$delay" --block=/tmp/k.img --rng -- lgtest=blk-flush lgseed=41
	sleep "$delay"
	kill -KILL "$pid"
	wait "$pid"
done
sleep 1
after=$(memfree)
echo "host: MemFree ${before} kB before six killed 64 MB guests, ${after} kB after"
p=$(pinned)
pins=${p% *} taken=$((${p#* } - taken_before))
echo "host: $taken pages pinned by them; pinned now $pins, before $pins_before"
[ "$pins" = "$pins_before" ] ||
	fail "$((pins - pins_before)) pages still pinned after six killed guests"
[ "$taken" -gt 0 ] || fail "the killed guests pinned no pages: did they run?"
# A guest whose pinned pages or shadow page tables stayed behind would
# cost tens of MB (it has touched at least its kernel and page cache); a
# few MB come and go with the host's own caches and per-CPU page lists.
[ "$after" -ge $((before - 32768)) ] ||
	fail "$((before - after)) kB less free memory after six killed guests"

check_unpinned "$pins_at_start"

if [ -f /lg.ko ]; then
	rmmod lg || fail "rmmod lg: the module is still in use"
fi
checks_done
