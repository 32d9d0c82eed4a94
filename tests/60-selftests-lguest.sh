#!/bin/bash
# The kernel's x86 selftests (the static *_32 programs) inside an lguest
# guest: for each page-table mode, run them natively on the patched kernel
# with 1 CPU (a guest has one), then in a guest of that kernel on a host
# booted from it with 2 CPUs, and compare per program with
# scripts/selftests-compare.sh. A program that passes natively must pass in
# the guest, except those in tests/selftests-lguest-expected.txt (each with
# its reason); one of those that passes in the guest fails the test too.
#
# usage: tests/60-selftests-lguest.sh [VARIANT...]   (default: nopae pae)
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"

variants=("$@")
[[ ${#variants[@]} -gt 0 ]] || variants=(nopae pae)
repeat=2 per_test_timeout=120
logs=$TEST_LOGS/60-selftests-lguest
mkdir -p "$logs"

cpio=$logs/selftests.cpio.gz
mk_selftests_cpio "$cpio"
build_launcher "$logs"
knobs="selftests.timeout=$per_test_timeout selftests.repeat=$repeat"

status=0
for v in "${variants[@]}"; do
	k=$BUILD/out-$v
	echo "=== $v: build"
	"$TOP/scripts/build-kernel.sh" "$v"
	echo "=== $v: the selftests natively, 1 CPU"
	rc=0
	"$TOP/scripts/qemu-run.sh" --kernel "$k/arch/x86/boot/bzImage" --initrd "$cpio" \
		--log "$logs/native-$v.log" --smp 1 --mem 256 --timeout 1200 \
		--append "$knobs" >/dev/null || rc=$?
	if [[ $rc -ne 0 ]]; then
		echo "=== $v: FAIL: the native run failed (qemu-run.sh exit $rc, $logs/native-$v.log)"
		status=1
		continue
	fi
	echo "=== $v: the selftests in an lguest guest (host: 2 CPUs)"
	mk_host_initramfs "$logs/host-$v.cpio.gz" "$k" "$TOP/tests/guest/selftests-host.sh" "$cpio"
	"$TOP/scripts/qemu-run.sh" --kernel "$k/arch/x86/boot/bzImage" \
		--initrd "$logs/host-$v.cpio.gz" --log "$logs/lguest-$v.log" --smp 2 \
		--mem 768 --timeout 1500 --append "lgargs=${knobs// /,}" >/dev/null || rc=$?
	if [[ $rc -ne 0 ]]; then
		echo "=== $v: FAIL: the run in a guest failed (qemu-run.sh exit $rc, $logs/lguest-$v.log)"
		status=1
		continue
	fi
	rc=0
	"$TOP/scripts/selftests-compare.sh" -x "$TOP/tests/selftests-lguest-expected.txt" \
		-a "native-$v" -b "lguest-$v" "$logs/native-$v.log" "$logs/lguest-$v.log" || rc=$?
	if [[ $rc -eq 0 ]]; then
		echo "=== $v: PASS"
	else
		echo "=== $v: FAIL (selftests-compare.sh exit $rc)"
		status=1
	fi
done
exit "$status"
