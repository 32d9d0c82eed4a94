#!/bin/sh
# /etc/test-init of the lguest host in tests/45-lguest-hostile.sh (busybox
# sh): runs one 64 MB guest per hostile case (tests/guest/hostile-guest.sh
# is the guests' side, tests/guest/hostile/hostile.c the module that does
# the deed) and checks that the host ends each one as it must:
#   - a guest the host must kill: the Launcher exits 2 and prints
#     "lguest: guest died: REASON", REASON matching the case's pattern
#     below and equal to the reason the module announced it would get
#     ("hostile: expect: REASON"), if it announced one;
#   - a guest the host must survive: the Launcher exits 0 and the guest
#     says PASS;
# and that no guest page stays pinned after each guest. Then a normal
# guest runs, MemFree (after dropping caches) must be within 32 MB of what
# it was before the first guest, and, with lg.ko, rmmod must work. Each
# Launcher gets 300 s (then SIGKILL, status 137): a hung guest fails its
# case instead of the whole run.
# The guests' consoles are copied to this console; a guest that is killed
# may print oddities before it dies, so its lines that qemu-run.sh would
# take for the host's WARNING, BUG, Oops, Call Trace, general protection
# fault or panic are renamed "guest-...". The guests that must survive are
# copied as they are: a WARNING there fails the run.
# shellcheck source=tests/guest/lib.sh
. /etc/test-lib.sh

GUEST="/guest-bzImage"
HEX='0x[0-9a-f]+'

# hostile CASE STATUS [PATTERN]: run the guest with hostile=CASE; its
# Launcher must exit STATUS, and for status 2 its reason must match the
# extended regular expression PATTERN (the whole reason).
hostile() {
	name=$1 want=$2 pattern=${3:-}
	echo "host: guest $name: lguest --initrd=/guest.cpio.gz 64 $GUEST hostile=$name"
	{
		timeout -s KILL 300 /lguest --initrd=/guest.cpio.gz 64 "$GUEST" \
			"hostile=$name" </dev/null 2>&1
		echo "$?" >"/tmp/$name.rc"
	} | tr -d '\r' | if [ "$want" = 2 ]; then
		sed -e 's/Kernel panic/guest-panic/' -e 's/WARNING:/guest-warning:/' \
			-e 's/BUG:/guest-bug:/' -e 's/Oops/guest-oops/' \
			-e 's/Call Trace:/guest-trace:/' \
			-e 's/general protection fault/guest-gp-fault/'
	else
		cat
	fi | tee "/tmp/$name.log"
	rc=$(cat "/tmp/$name.rc")
	echo "host: guest $name: Launcher exit status $rc"
	check_unpinned "$pins_at_start"
	echo "host: MemFree $(memfree) kB"
	if [ "$rc" != "$want" ]; then
		fail "guest $name: Launcher exit status $rc, want $want"
		return
	fi
	if [ "$want" = 0 ]; then
		grep -q 'LGUEST-GUEST: PASS' "/tmp/$name.log" ||
			fail "guest $name: no 'LGUEST-GUEST: PASS'"
		return
	fi
	why=$(sed -n 's/^lguest: guest died: //p' "/tmp/$name.log" | head -n 1)
	announced=$(sed -n 's/.*hostile: expect: //p' "/tmp/$name.log" | head -n 1)
	echo "host: guest $name: died of '$why'"
	if ! grep -q '^lguest: guest died: ' "/tmp/$name.log"; then
		fail "guest $name: no 'lguest: guest died:' from the Launcher"
	elif ! printf '%s\n' "$why" | grep -Eqx -e "$pattern"; then
		fail "guest $name: reason '$why' does not match '$pattern'"
	elif [ -n "$announced" ] && [ "$why" != "$announced" ]; then
		fail "guest $name: reason '$why', the module expected '$announced'"
	fi
}

# memfree: MemFree in kB, the page cache dropped.
memfree() {
	sync
	echo 3 >/proc/sys/vm/drop_caches
	awk '/^MemFree:/ { print $2 }' /proc/meminfo
}

echo "host: $(uname -srm), CPUs online: $(cat /sys/devices/system/cpu/online)"
load_lg
[ -c /dev/lguest ] || result FAIL "no /dev/lguest"
p=$(pinned)
pins_at_start=${p% *}
free_at_start=$(memfree)

# Bad hypercalls.
hostile hcall-unknown 2 'bad hypercall 99'
hostile ring-garbage 2 'bad hypercall 3735928559'
hostile init-twice 2 'LHCALL_LGUEST_INIT twice'
hostile gdt-range 2 'bad GDT entry 32'
hostile idt-range 2 'bad IDT entry 256'
hostile idt-taskgate 2 'IDT entry 64 has type 5'
hostile pgtable-outside 2 'bad page table at 0xc0000000'
hostile tls-outside 2 'bad read of 24 bytes at 0xfffffff0'
hostile shutdown-bad 2 'bad shutdown request 7'
hostile stack-ss 2 'bad stack segment 0x7b'
# Bad guest page tables.
hostile pmd-beyond 2 "bad page table entry $HEX at $HEX \\(pfn beyond RAM\\)"
hostile pte-beyond 2 "bad page table entry $HEX at $HEX \\(pfn beyond RAM\\)"
hostile pmd-large 2 "large page at $HEX \\(entry $HEX at $HEX\\)"
hostile switcher-map 2 "mapping at $HEX, in the Switcher's range"
# Traps and interrupts without a gate.
hostile irq-nohandler 2 'no handler for interrupt 0'
hostile trap-nohandler 2 "unhandled trap 6 at $HEX \\(error 0x0\\)"
# What the host must refuse or adjust, and let the guest run on.
hostile ignored 0
hostile user-hcall 0
grep -q 'hostile-user: PASS' /tmp/user-hcall.log ||
	fail "guest user-hcall: no 'hostile-user: PASS'"
# Segment registers with a base (or null) of the guest's choosing while it
# traps to the host: the Switcher must use its own segments on the way back
# (before, the host reset).
hostile user-segments 0
grep -q 'hostile-user: PASS' /tmp/user-segments.log ||
	fail "guest user-segments: no 'hostile-user: PASS'"
# User code whose eip is the guest kernel's iret window, through a code
# segment of its own: interrupts must still come (the guest hung).
hostile user-noirq 0
grep -q 'hostile-user: PASS' /tmp/user-noirq.log ||
	fail "guest user-noirq: no 'hostile-user: PASS'"
hostile switcher-ds 0
grep -q 'hostile: the guest ran on through the Switcher' /tmp/switcher-ds.log ||
	fail "guest switcher-ds: the module did not finish its rounds"
# A segment register, or the stack segment, whose GDT entry the guest then
# nulls: the Switcher would fault reloading it in ring 0 (the host then
# took its last exit for a new one and re-entered forever).
hostile stale-gs 2 "bad segment registers: cs $HEX eip $HEX ss $HEX ds $HEX es $HEX fs $HEX gs 0xe9"
hostile stale-ss 2 "bad segment registers: cs $HEX eip $HEX ss 0xf1 ds $HEX es $HEX fs $HEX gs $HEX"
# The LDT: bad tables are fatal; bad entries are dropped or made ring 1,
# the guest's table is read once (a call gate written there afterwards is
# never seen) and the copy the CPU reads is read-only for the guest.
hostile ldt-huge 2 "bad LDT: 8193 entries at $HEX"
hostile ldt-wrap 2 "bad LDT: 8192 entries at 0xfffff000"
hostile ldt-unmapped 2 "LDT at $HEX is not mapped to guest RAM"
hostile stale-ldt-gs 2 "bad segment registers: cs $HEX eip $HEX ss $HEX ds $HEX es $HEX fs $HEX gs 0x5"
hostile ldt-refused 0
grep -q 'hostile: the host refused or adjusted every LDT entry' /tmp/ldt-refused.log ||
	fail "guest ldt-refused: the module did not finish its checks"
# A normal guest after all that.
hostile none 0

free_now=$(memfree)
echo "host: MemFree ${free_now} kB, ${free_at_start} kB before the guests"
[ $((free_at_start - free_now)) -le 32768 ] ||
	fail "MemFree fell by $((free_at_start - free_now)) kB over the guests"
if [ -f /lg.ko ]; then
	rmmod lg || fail "rmmod lg: the module is still in use"
fi
dmesg | grep -i lguest | tail -n 20
checks_done
