#!/bin/bash
# lguest end to end: a patched kernel boots under QEMU with 2 CPUs as the
# host, where the series' kselftest tools/testing/selftests/lguest first
# feeds /dev/lguest bad input from a Launcher (every error of
# launcher-abi.rst, no page left pinned after any of its tests), and runs
# the same bzImage as guests with tools/lguest/lguest (see
# tests/guest/lguest-host.sh for the guests and what is checked: the
# memory fuzzer of tests/guest/smoke.c on the host itself, the smoke
# suite of tests/guest/smoke.c in a 64 MB guest with its 1 s sleep timed
# on the host, a 512 MB guest, a guest panic, a killed Launcher, a guest
# after each, and rmmod for a modular host). The host and every guest
# console must be free of WARNING, BUG, Oops and Call Trace.
#
# usage: tests/40-lguest.sh [--out DIR] [VARIANT...]   (default: nopae pae)
#
# The nopae kernels have CONFIG_LGUEST=y, the pae ones CONFIG_LGUEST=m
# (loaded with insmod): configs/lguest.config and configs/lguest-y.config.
# --out DIR: use the kernel already built in DIR (for one VARIANT)
# instead of building build/out-VARIANT.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"

# The nopae host is an AMD CPU under qemu-system-x86_64 (see
# lguest_host_runs in scripts/lib.sh): there a guest's syscall instruction
# does what it would on AMD hardware with EFER.SCE set.
export LGUEST_AMD_HOSTS=${LGUEST_AMD_HOSTS-nopae}
# The pae host keeps its TSC (see lguest_host_runs in scripts/lib.sh), so
# that its guests, the kselftest's included, use the TSC and the nopae host's
# clock_ns: both clocks of the guest's timer deadline are tested.
export LGUEST_TSC_HOSTS=${LGUEST_TSC_HOSTS-pae debug}
out=$TEST_LOGS/lguest
mkdir -p "$out"

build_launcher "$out"
build_abi_selftest "$out"
build_smoke "$out"
"$TOP/scripts/mkinitramfs.sh" -o "$out/guest.cpio.gz" \
	-i "$TOP/tests/guest/lguest-guest.sh" -f "$out/smoke=/smoke"
lguest_host_runs "$out" "$TOP/tests/guest/lguest-host.sh" "$out/guest.cpio.gz" \
	-f "$out/launcher_abi=/launcher_abi" -f "$out/smoke=/smoke" -- "$@"
