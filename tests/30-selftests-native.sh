#!/bin/bash
# The kernel's own x86 selftests (32-bit) on the patched kernels, natively
# under QEMU: for each page-table mode, boot the unpatched kernel (base-MODE)
# and the patched one (MODE) with the same QEMU flags, run every selftest,
# and fail if a selftest that passes on the unpatched kernel does not pass
# on the patched one, or if a run itself fails (panic, timeout, a WARNING
# in the console...).  Results are only ever compared per selftest between
# the two kernels of one run of this test, never against a fixed count.
#
# usage: tests/30-selftests-native.sh [--no-build] [nopae] [pae] [x86_64] [REF:NEW]
#   --no-build   use the bzImages already built (default: build-kernel.sh)
#   nopae pae    modes to test (default both): base-MODE vs MODE
#   x86_64       base-x86_64 vs x86_64, under qemu-system-x86_64, with the
#                64-bit selftests as well as the 32-bit ones
#                (scripts/check-x86_64.sh)
#   REF:NEW      any other pair of variants, e.g. base-nopae:base-nopae to
#                check the harness itself
# Environment: SELFTEST_REPEAT runs of each program per boot (default 2: a
# selftest passes only if every run passes, so one that is flaky on the
# unpatched kernel is not held against the patched one), SELFTEST_TIMEOUT
# per-program timeout in seconds (default 120), SELFTEST_SMP vCPUs
# (default 2), SELFTEST_QEMU_TIMEOUT limit for one boot (default 1200).
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"

build=1 pairs=()
for a; do
	case $a in
	--no-build) build='' ;;
	nopae | pae | x86_64) pairs+=("base-$a:$a") ;;
	*:*)
		variant_tree "${a%%:*}" >/dev/null
		variant_tree "${a#*:}" >/dev/null
		pairs+=("$a")
		;;
	*) die "unknown argument '$a'" "usage: $0 [--no-build] [nopae] [pae] [x86_64] [REF:NEW]" ;;
	esac
done
[[ ${#pairs[@]} -gt 0 ]] || pairs=(base-nopae:nopae base-pae:pae)

repeat=${SELFTEST_REPEAT:-2}
per_test_timeout=${SELFTEST_TIMEOUT:-120}
smp=${SELFTEST_SMP:-2}
qtimeout=${SELFTEST_QEMU_TIMEOUT:-1200}
for n in "$repeat" "$per_test_timeout" "$smp" "$qtimeout"; do
	[[ $n =~ ^[1-9][0-9]*$ ]] ||
		die "'$n' is not a positive number" \
			"check SELFTEST_REPEAT, SELFTEST_TIMEOUT, SELFTEST_SMP and SELFTEST_QEMU_TIMEOUT"
done
for s in build-kernel.sh mkinitramfs.sh qemu-run.sh build-selftests.sh selftests-compare.sh; do
	[[ -x $TOP/scripts/$s ]] ||
		die "scripts/$s is missing" "it comes with the workspace: update your checkout"
done

logs=$TEST_LOGS/30-selftests-native
mkdir -p "$logs"

cpio=$logs/selftests.cpio.gz
mk_selftests_cpio "$cpio"
cpio64=$logs/selftests-64.cpio.gz
[[ " ${pairs[*]} " != *x86_64* ]] || mk_selftests_cpio "$cpio64" --64

# The same QEMU flags for every kernel; qemu-run.sh's default CPU model
# (a "max" CPU: NX, SSE*, FSGSBASE...) so that the selftests reach the code
# paths a modern CPU takes.
qemu_flags=(--smp "$smp" --mem 256 --timeout "$qtimeout"
	--append "selftests.timeout=$per_test_timeout selftests.repeat=$repeat")

# boot VARIANT LOG: build (unless --no-build) and boot one kernel with the
# selftests, console into LOG.  Returns non-zero if the run failed.
boot() {
	local v=$1 log=$2 bz=$BUILD/out-$1/arch/x86/boot/bzImage rc=0 start
	local qemu=${QEMU_SYSTEM:-} initrd=$cpio cpu=()
	# A 64-bit kernel on an AMD CPU without SMAP, for two artefacts of
	# QEMU 7.2's TCG that oops the unpatched kernel: a 32-bit syscall runs
	# as AMD hardware does whatever the vendor (a double fault in
	# syscall_arg_fault_32 on a GenuineIntel CPU), and a user-mode lretq
	# from compat mode takes an SMAP fault as a supervisor access
	# (test_syscall_vdso_32).
	[[ $v != *x86_64 ]] ||
		qemu=qemu-system-x86_64 initrd=$cpio64 cpu=(--cpu 'max,vendor=AuthenticAMD,-smap')
	if [[ -n $build && -z ${built[$v]:-} ]]; then
		info "building kernel $v (log $logs/build-$v.log)"
		if ! "$TOP/scripts/build-kernel.sh" "$v" >"$logs/build-$v.log" 2>&1; then
			tail -n 20 "$logs/build-$v.log" >&2
			echo "$PROG: kernel $v did not build, see $logs/build-$v.log" >&2
			return 1
		fi
		built[$v]=1
	fi
	if [[ ! -f $bz ]]; then
		echo "$PROG: no kernel $bz: build it with scripts/build-kernel.sh $v" >&2
		return 1
	fi
	info "booting $v with the selftests ($smp CPUs, log $log)"
	start=$SECONDS
	QEMU_SYSTEM=$qemu "$TOP/scripts/qemu-run.sh" --kernel "$bz" --initrd "$initrd" "${cpu[@]}" \
		--log "$log" "${qemu_flags[@]}" >/dev/null || rc=$?
	info "$v: qemu-run.sh exit $rc after $((SECONDS - start))s"
	if [[ $rc -ne 0 ]]; then
		echo "$PROG: the selftest run on $v failed (qemu-run.sh exit $rc: 1 FAIL marker, 2 timeout, 3 panic, 4 no marker, 5 WARNING/BUG/Oops in the console, 6 harness error)" >&2
		echo "$PROG: see $log" >&2
		return 1
	fi
}

declare -A built=()
failed=()
for pair in "${pairs[@]}"; do
	ref=${pair%%:*} new=${pair#*:}
	ref_log=$logs/$ref.log new_log=$logs/$new.log
	[[ $ref != "$new" ]] || ref_log=$logs/$ref.ref.log
	ok=1
	boot "$ref" "$ref_log" || ok=''
	boot "$new" "$new_log" || ok=''
	if [[ -z $ok ]]; then
		failed+=("$ref vs $new: a run failed")
		continue
	fi
	echo "=== x86 selftests, $smp CPUs, $repeat run(s) each: $ref vs $new"
	rc=0
	"$TOP/scripts/selftests-compare.sh" -a "$ref" -b "$new" \
		"$ref_log" "$new_log" || rc=$?
	[[ $rc -eq 0 ]] || failed+=("$ref vs $new: selftests regress (compare exit $rc)")
done

if [[ ${#failed[@]} -gt 0 ]]; then
	for f in "${failed[@]}"; do
		echo "$PROG: FAIL: $f" >&2
	done
	exit 1
fi
info "PASS: no selftest regression in: ${pairs[*]}"
