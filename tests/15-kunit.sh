#!/bin/bash
# The host's KUnit tests (drivers/lguest/lguest_kunit.c: the checks of a
# guest's descriptors, gates and page table entries, and the instructions
# the host decodes) pass: the nopae kernel has them built in
# (configs/lguest-y.config), runs them at boot, and prints their KTAP
# results on the console, where every case of the lguest_host suite must
# say "ok" and none "not ok".
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"

out=$TEST_LOGS/kunit
mkdir -p "$out"
"$TOP/scripts/mkinitramfs.sh" -o "$out/initrd.cpio.gz" -i "$TOP/tests/guest/boot-native.sh"
echo "=== nopae: build"
"$TOP/scripts/build-kernel.sh" nopae
grep -qx 'CONFIG_LGUEST_KUNIT_TEST=y' "$BUILD/out-nopae/.config" ||
	die "$BUILD/out-nopae/.config has no CONFIG_LGUEST_KUNIT_TEST=y" \
		"configs/lguest-y.config sets it"

echo "=== nopae: boot"
"$TOP/scripts/qemu-run.sh" --kernel "$BUILD/out-nopae/arch/x86/boot/bzImage" \
	--initrd "$out/initrd.cpio.gz" --log "$out/nopae.log" --timeout 300

# The KTAP lines of the suite: "    ok N case" for each case, then the
# suite's own "ok N lguest_host" (the serial console ends lines with CR).
ktap=$(tr -d '\r' <"$out/nopae.log" | grep -aE '^ *(not )?ok [0-9]+ ' || true)
cases=$(grep -c '^    ok [0-9]* [a-z_0-9]*_test$' <<<"$ktap" || true)
printf '  %s\n' "${ktap//$'\n'/$'\n  '}"
if grep -q 'not ok' <<<"$ktap"; then
	echo "FAIL: a KUnit case failed (console: $out/nopae.log)"
	exit 1
fi
if ! grep -qx 'ok [0-9]* lguest_host' <<<"$ktap"; then
	echo "FAIL: no result of the lguest_host suite on the console"
	exit 1
fi
if [[ $cases -lt 10 ]]; then
	echo "FAIL: $cases cases of lguest_host passed, want 10"
	exit 1
fi
echo "PASS: the $cases cases of the lguest_host KUnit suite pass"
