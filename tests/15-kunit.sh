#!/bin/bash
# The host's KUnit tests (drivers/lguest/lguest_kunit.c: the checks of a
# guest's descriptors, gates and page table entries, and the instructions
# the host decodes) pass in both page-table modes: the nopae kernel has
# the host built in and runs them at boot, the pae one runs them when
# lg.ko loads (configs/lguest.config). Each prints its KTAP results on the
# console, where every case of the lguest_host suite must say "ok", the
# suite too, and none "not ok".
#
# usage: tests/15-kunit.sh [VARIANT...]   (default: nopae pae)
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"

MIN_CASES=11
out=$TEST_LOGS/kunit
mkdir -p "$out"
variants=("$@")
[[ ${#variants[@]} -gt 0 ]] || variants=(nopae pae)

# check_ktap LOG: the KTAP lines of the suite, "    ok N case" for each
# case, then the suite's own "ok N lguest_host" (the serial console ends
# lines with CR).
check_ktap() {
	local log=$1 ktap cases
	ktap=$(tr -d '\r' <"$log" | grep -aE '^ *(not )?ok [0-9]+ ' || true)
	cases=$(grep -c '^    ok [0-9]* [a-z_0-9]*_test$' <<<"$ktap" || true)
	printf '  %s\n' "${ktap//$'\n'/$'\n  '}"
	if grep -q 'not ok' <<<"$ktap"; then
		echo "FAIL: a KUnit case failed (console: $log)"
		return 1
	fi
	if ! grep -qx 'ok [0-9]* lguest_host' <<<"$ktap"; then
		echo "FAIL: no result of the lguest_host suite on the console ($log)"
		return 1
	fi
	if [[ $cases -lt $MIN_CASES ]]; then
		echo "FAIL: $cases cases of lguest_host passed, want $MIN_CASES"
		return 1
	fi
	echo "PASS: the $cases cases of the lguest_host KUnit suite pass"
}

"$TOP/scripts/mkinitramfs.sh" -o "$out/initrd.cpio.gz" -i "$TOP/tests/guest/kunit-host.sh"
status=0
for v in "${variants[@]}"; do
	k=$BUILD/out-$v
	echo "=== $v: build"
	"$TOP/scripts/build-kernel.sh" "$v"
	grep -qx 'CONFIG_LGUEST_KUNIT_TEST=y' "$k/.config" ||
		die "$k/.config has no CONFIG_LGUEST_KUNIT_TEST=y" \
			"configs/lguest.config sets it"
	initrd=$out/initrd.cpio.gz
	if grep -qx 'CONFIG_LGUEST=m' "$k/.config"; then
		initrd=$out/initrd-$v.cpio.gz
		"$TOP/scripts/mkinitramfs.sh" -o "$initrd" -i "$TOP/tests/guest/kunit-host.sh" \
			-f "$k/drivers/lguest/lg.ko=/lg.ko"
	fi
	echo "=== $v: boot"
	if "$TOP/scripts/qemu-run.sh" --kernel "$k/arch/x86/boot/bzImage" \
		--initrd "$initrd" --log "$out/$v.log" --timeout 300 &&
		check_ktap "$out/$v.log"; then
		echo "=== $v: PASS"
	else
		echo "=== $v: FAIL"
		status=1
	fi
done
exit "$status"
