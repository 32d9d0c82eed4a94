#!/bin/bash
# The lguest host against a seeded fuzzer, for the nopae and pae hosts:
# tests/guest/lgfuzz.c runs, as root in the host, guests made of random
# hostile blocks (hypercalls, system instructions, segments, far transfers
# and iret frames, page tables, the hypercall ring, interrupts, stacks,
# port and device memory accesses) and answers their exits as a hostile
# Launcher would (tests/guest/fuzz-host.sh).  The host must come through
# with a clean console, every pinned page and SecPageTables back, a
# normal guest running afterwards and, with lg.ko, rmmod working.
#
# usage: tests/47-lguest-fuzz.sh [--seed S] [--ops N] [--guests FIRST:COUNT]
#                               [--out DIR VARIANT] [VARIANT...]
#                               (default: nopae pae)
# The seed defaults to $LGFUZZ_SEED or, without it, today's date
# (YYYYMMDD): the same all day, another tomorrow.  --ops (default
# $LGFUZZ_OPS or 100000) is the number of guest operations per variant.
# A failing run prints its seed: "--seed S" runs the same guests again.
# --out DIR: use the kernel already built in DIR (for one VARIANT).
# --guests FIRST:COUNT: instead, run guests FIRST to FIRST+COUNT-1 of the
# seed, each by its own lgfuzz --verbose: to find, from the progress
# lines of a failed run, which guest broke the host.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"

seed=${LGFUZZ_SEED:-$(date +%Y%m%d)}
ops=${LGFUZZ_OPS:-100000}
kout=() guests=''
while [[ $# -gt 0 ]]; do
	case $1 in
	--seed) seed=${2:?--seed needs a number}; shift ;;
	--ops) ops=${2:?--ops needs a number}; shift ;;
	--out) kout=(--out "${2:?--out needs a directory}"); shift ;;
	--guests) guests=${2:?--guests needs FIRST:COUNT}; shift ;;
	-*) die "unknown option '$1'" "usage: $0 [--seed S] [--ops N] [--guests FIRST:COUNT] [--out DIR VARIANT] [VARIANT...]" ;;
	*) break ;;
	esac
	shift
done
[[ $seed =~ ^[0-9]+$ && $ops =~ ^[0-9]+$ ]] ||
	die "--seed and --ops take decimal numbers"
[[ -z $guests || $guests =~ ^[0-9]+:[1-9][0-9]*$ ]] ||
	die "--guests takes FIRST:COUNT, e.g. 29000:500"

# The nopae host is an AMD CPU under qemu-system-x86_64 (see
# lguest_host_runs in scripts/lib.sh): there a guest's syscall instruction
# does what it would on AMD hardware with EFER.SCE set.
export LGUEST_AMD_HOSTS=${LGUEST_AMD_HOSTS-nopae}
out=$TEST_LOGS/lguest-fuzz
mkdir -p "$out"
build_launcher "$out"
echo "=== lgfuzz (tests/guest/lgfuzz.c): seed $seed, $ops operations"
gcc -m32 -static -O2 -Wall -Wextra -Werror -pthread \
	-I"$BUILD/out-hdr/usr/include" -I"$LINUX/tools/testing/selftests/lguest" \
	-o "$out/lgfuzz" "$TOP/tests/guest/lgfuzz.c"
printf 'seed=%s\nops=%s\n' "$seed" "$ops" >"$out/fuzz.conf"
[[ -z $guests ]] ||
	printf 'first=%s\ncount=%s\n' "${guests%:*}" "${guests#*:}" >>"$out/fuzz.conf"
"$TOP/scripts/mkinitramfs.sh" -o "$out/guest.cpio.gz" \
	-i "$TOP/tests/guest/hostile-guest.sh"
variants=("$@")
[[ ${#variants[@]} -gt 0 ]] || variants=(nopae pae)
[[ ${#kout[@]} -eq 0 || ${#variants[@]} -eq 1 ]] ||
	die "--out DIR takes exactly one VARIANT"
status=0
lguest_host_runs "$out" "$TOP/tests/guest/fuzz-host.sh" "$out/guest.cpio.gz" \
	-f "$out/lgfuzz=/lgfuzz" -f "$out/fuzz.conf=/fuzz.conf" -- \
	"${kout[@]}" "${variants[@]}" || status=$?
for v in "${variants[@]}"; do
	[[ -f $out/$v.log ]] && grep -a '^lgfuzz: ' "$out/$v.log" | sed "s/^/$v: /"
done
[[ $status -eq 0 ]] || echo "=== to run the same guests again: $0 --seed $seed --ops $ops"
exit "$status"
