#!/bin/bash
# A hostile guest kernel cannot hurt the lguest host: for the nopae and pae
# hosts, a guest module (tests/guest/hostile/hostile.c, loaded by
# tests/guest/hostile-guest.sh) makes one bad hypercall or sets up one bad
# piece of guest state per guest, and the host must end just that guest,
# with the reason below printed by the Launcher ("lguest: guest died:
# REASON", exit status 2), and carry on: no WARNING, BUG, Oops or hang on
# the host, no guest page left pinned, MemFree back, a normal guest runs at
# the end and rmmod works for lg.ko (tests/guest/hostile-host.sh). HEX is
# a hexadecimal number; the module prints the exact reason it expects
# where it varies, and the host checks the two are the same.
#
#   case             what the guest kernel does        reason
#   hcall-unknown    hypercall 99                      bad hypercall 99
#   ring-garbage     fills the asynchronous hypercall  bad hypercall 3735928559
#                    ring with number 0xdeadbeef
#   init-twice       LHCALL_LGUEST_INIT again, at      LHCALL_LGUEST_INIT twice
#                    0xc0000000 (outside its memory)
#   gdt-range        LHCALL_LOAD_GDT_ENTRY 32          bad GDT entry 32
#   idt-range        LHCALL_LOAD_IDT_ENTRY 256         bad IDT entry 256
#   idt-taskgate     a task gate for vector 64         IDT entry 64 has type 5
#   pgtable-outside  LHCALL_NEW_PGTABLE 0xc0000000     bad page table at 0xc0000000
#   tls-outside      LHCALL_LOAD_TLS 0xfffffff0 (the   bad read of 24 bytes at 0xfffffff0
#                    24 bytes wrap around 4 GB)
#   shutdown-bad     LHCALL_SHUTDOWN of kind 7, its    bad shutdown request 7
#                    message at 0xc0000000
#   stack-ss         LHCALL_SET_STACK with the user's  bad stack segment 0x7b
#                    data segment
#   pmd-beyond       a page directory entry naming a   bad page table entry HEX at
#                    page table beyond RAM, then a     HEX (pfn beyond RAM)
#                    read through it
#   pte-beyond       a PTE naming a page beyond RAM    bad page table entry HEX at
#                    and device memory (above 4 GB     HEX (pfn beyond RAM)
#                    for pae), then a read
#   pmd-large        a large page, then a read         large page at HEX (entry HEX
#                                                      at HEX)
#   switcher-map     a page table in the Switcher's    mapping at HEX, in the
#                    slot (the top reserve_mem         Switcher's range
#                    bytes), then a read there
#   irq-nohandler    takes away the clock's gate       no handler for interrupt 0
#                    (vector 0x30), then sleeps
#   trap-nohandler   takes away the #UD gate, then     unhandled trap 6 at HEX
#                    ud2                               (error 0x0)
#   stale-gs         loads %gs with GDT entry 29,      bad segment registers: cs HEX
#                    then makes that entry null        eip HEX ... gs 0xe9
#   stale-ss         the same with %ss and entry 30    bad segment registers: ...
#                                                      ss 0xf1 ...
#   ldt-huge         an LDT of 8193 entries            bad LDT: 8193 entries at HEX
#   ldt-wrap         one that wraps around 4 GB        bad LDT: 8192 entries at
#                                                      0xfffff000
#   ldt-unmapped     one in an empty slot              LDT at HEX is not mapped to
#                                                      guest RAM
#   stale-ldt-gs     %gs on LDT entry 0, then no LDT   bad segment registers: ...
#                                                      gs 0x5
# and these the host must survive, the guest running on (exit status 0):
#   ignored          new descriptors for the host's GDT entries and the
#                    guest kernel's CS and DS, task gates for the NMI,
#                    double fault and hypercall vectors: all ignored; a call
#                    gate into the host's ring 0 code: dropped; a ring 0
#                    data segment: made ring 1 (the module checks with lar)
#   user-hcall       int $0x1f from guest user mode, with the registers of
#                    a panic and other hypercalls (tests/guest/hostile-user.c):
#                    a #GP with error 0xfa, so SIGSEGV, not a hypercall
#   user-segments    a user program loads %ds, %es, %fs, %gs in turn with
#                    a TLS segment of base 0x1000, then with a null
#                    selector, and spins through many exits (before the
#                    fix, the host reset: the Switcher read its saved
#                    state through the guest's %ds)
#   switcher-ds      the guest kernel does the same with a ring 1 segment
#                    based at the Switcher's slot, with a hypercall and a
#                    page fault the host handles in each round
#                    (TCG gives null selectors base 0 and never faults on
#                    them: the null rounds show nothing under QEMU)
#   ldt-refused      an LDT with a call gate, a TSS, an LDT and a task gate
#                    (dropped), ring 0 data and conforming code (made
#                    ring 1), a 4 GB segment and one based at the Switcher's
#                    slot (kept); a call gate written into the table after
#                    the hypercall is not seen; the guest reads the host's
#                    adjusted copy in its LDT window and cannot write it
#   user-noirq       a user program's eip is the kernel's iret window
#                    (lguest_noirq_iret from System.map, /noirq) through a
#                    code segment of its own: an alarm must still come
#                    (before the fix, no interrupt reached the guest again)
#
# usage: tests/45-lguest-hostile.sh [--out DIR VARIANT] [VARIANT...]
#                                               (default: nopae pae)
# --out DIR: use the kernel already built in DIR (for one VARIANT) instead
# of building build/out-VARIANT. The module is built against that kernel
# (it needs DIR/Module.symvers), from a copy of tests/guest/hostile/ under
# build/test-logs/lguest-hostile/VARIANT/, and the addresses of lguest_data
# and lguest_vcpu (the module's lgdata= and lgvcpu=) come from
# DIR/System.map.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"

out=$TEST_LOGS/lguest-hostile
mkdir -p "$out"

kout=''
if [[ ${1:-} == --out ]]; then
	kout=$(cd "${2:?--out needs a directory}" && pwd)
	shift 2
	[[ $# -eq 1 ]] || die "--out DIR takes exactly one VARIANT"
fi
variants=("$@")
[[ ${#variants[@]} -gt 0 ]] || variants=(nopae pae)

build_launcher "$out"
echo "=== hostile-user (tests/guest/hostile-user.c)"
gcc -m32 -static -O2 -Wall -Wextra -o "$out/hostile-user" "$TOP/tests/guest/hostile-user.c"

status=0
for v in "${variants[@]}"; do
	[[ $v == nopae || $v == pae ]] || die "unknown variant '$v'" "use nopae or pae"
	k=${kout:-$BUILD/out-$v}
	if [[ -z $kout ]]; then
		echo "=== $v: build"
		"$TOP/scripts/build-kernel.sh" "$v"
	fi
	[[ -f $k/Module.symvers && -f $k/System.map ]] ||
		die "$k has no Module.symvers or System.map" "build the kernel there first (scripts/build-kernel.sh $v)"

	echo "=== $v: the hostile module (tests/guest/hostile), against $k"
	src=$out/$v/hostile
	rm -rf "$src"
	mkdir -p "$src"
	cp "$TOP/tests/guest/hostile/hostile.c" "$TOP/tests/guest/hostile/Kbuild" "$src/"
	make -C "$LINUX" O="$k" ARCH=i386 CC="ccache gcc" M="$src" modules \
		>"$out/$v/module.log" 2>&1 ||
		die "the hostile module does not build for $v" "see $out/$v/module.log"
	lgdata=$(awk '$3 == "lguest_data" { print "0x" $1 }' "$k/System.map")
	lgvcpu=$(awk '$3 == "lguest_vcpu" { print "0x" $1 }' "$k/System.map")
	[[ -n $lgdata && -n $lgvcpu ]] ||
		die "no lguest_data or lguest_vcpu in $k/System.map: not a guest kernel"
	echo "lguest_data is at $lgdata, lguest_vcpu at $lgvcpu (per CPU)"
	echo "lgdata=$lgdata lgvcpu=$lgvcpu" >"$out/$v/lgdata"
	awk '$3 == "lguest_noirq_iret" { print "0x" $1 }' "$k/System.map" >"$out/$v/noirq"
	[[ -s $out/$v/noirq ]] || die "no lguest_noirq_iret in $k/System.map"
	"$TOP/scripts/mkinitramfs.sh" -o "$out/$v/guest.cpio.gz" \
		-i "$TOP/tests/guest/hostile-guest.sh" -f "$src/hostile.ko=/hostile.ko" \
		-f "$out/hostile-user=/hostile-user" -f "$out/$v/lgdata=/lgdata" \
		-f "$out/$v/noirq=/noirq"
	lguest_host_runs "$out" "$TOP/tests/guest/hostile-host.sh" \
		"$out/$v/guest.cpio.gz" -- --out "$k" "$v" || status=1
done
exit "$status"
