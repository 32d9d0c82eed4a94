#!/bin/bash
# The series in kernel configurations the test suite does not boot, with
# gcc and with clang (LLVM=1): each must build without error.
#
#   scripts/check-configs.sh [--only NAME]... [--llvm-only | --gcc-only]
#
# NAME           what to build (default: all of them, in this order):
#   guest-only   the nopae variant with CONFIG_LGUEST=n (configs/guest-only.config):
#                a guest kernel without the host
#   allnoconfig  make ARCH=i386 allnoconfig: the series compiled out
#   x86_64-xen   make ARCH=x86_64 tinyconfig + configs/x86_64-xen.config:
#                64-bit PARAVIRT_XXL and XEN_PV, which share the paravirt
#                code the series changes
#   allmodconfig make ARCH=i386 allmodconfig without CONFIG_WERROR (see
#                build()): lguest as modules next to everything else
#                (hours on 2 cores)
# The suite builds the others: host =y (nopae), host =m (pae), with gcc
# and with clang (tests 40 and 42).
#
# Outputs in build/configs/NAME-{gcc,llvm}/, logs there as build.log.
# Prints "PASS name-compiler" or "FAIL name-compiler (log)" per build,
# then "N passed, N failed"; exits 1 if any failed. The GitLab job
# "configs" (scheduled) runs it whole.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() { sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; }

ALL=(guest-only allnoconfig x86_64-xen allmodconfig)
only=() compilers=(gcc llvm)
while [[ $# -gt 0 ]]; do
	case $1 in
	--only) only+=("${2:?--only needs a name}"); shift ;;
	--llvm-only) compilers=(llvm) ;;
	--gcc-only) compilers=(gcc) ;;
	-h | --help) usage; exit 0 ;;
	*) die "unknown argument '$1'" "see: $0 --help" ;;
	esac
	shift
done
[[ ${#only[@]} -gt 0 ]] || only=("${ALL[@]}")
for n in "${only[@]}"; do
	[[ " ${ALL[*]} " == *" $n "* ]] || die "unknown configuration '$n'" "one of: ${ALL[*]}"
done
need_tree "$LINUX"
need_cmd ccache

# build NAME COMPILER OUT: configure and build one kernel in OUT.
build() {
	local name=$1 cc=$2 o=$3 arch=i386 ccopt=() llvm=()
	if [[ $cc == llvm ]]; then
		ccopt=(LLVM=1 CC="ccache clang") llvm=(--llvm)
	else
		ccopt=(CC="ccache gcc")
	fi
	[[ $name != x86_64-* ]] || arch=x86_64
	kmake() { make -C "$LINUX" O="$o" ARCH="$arch" "${ccopt[@]}" "$@"; }
	case $name in
	guest-only)
		"$TOP/scripts/build-kernel.sh" "${llvm[@]}" --out "$o" \
			--fragment "$CONFIGS/guest-only.config" nopae || return 1
		! grep -q '^CONFIG_LGUEST=' "$o/.config" && grep -qx 'CONFIG_LGUEST_GUEST=y' "$o/.config"
		;;
	allnoconfig)
		kmake -s "$name" && kmake -j"$JOBS" all
		;;
	allmodconfig)
		# allmodconfig sets CONFIG_WERROR, and Debian's 6.12.118 does not
		# build for i386 with it, series or not: its module hash
		# blacklist patch prints a size_t with %ld in
		# kernel/module/signing.c.  Warnings are check-sparse.sh's job.
		kmake -s "$name" &&
			"$LINUX/scripts/config" --file "$o/.config" --disable WERROR &&
			kmake -s olddefconfig && kmake -j"$JOBS" all
		;;
	x86_64-xen)
		kmake -s tinyconfig &&
			(cd "$o" && "$LINUX/scripts/kconfig/merge_config.sh" -m -O "$o" \
				"$o/.config" "$CONFIGS/x86_64-xen.config" >/dev/null) &&
			kmake -s olddefconfig && grep -qx 'CONFIG_PARAVIRT_XXL=y' "$o/.config" &&
			kmake -j"$JOBS" bzImage
		;;
	esac
}

passed=0 failed=0
for n in "${only[@]}"; do
	for cc in "${compilers[@]}"; do
		o=$BUILD/configs/$n-$cc
		mkdir -p "$o"
		info "building $n with $cc in $o"
		if (build "$n" "$cc" "$o") >"$o/build.log" 2>&1; then
			echo "PASS $n-$cc"
			passed=$((passed + 1))
		else
			echo "FAIL $n-$cc (log: $o/build.log)"
			grep -E 'error|Error' "$o/build.log" | tail -n 5 | sed 's/^/    /' || true
			failed=$((failed + 1))
		fi
	done
done
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
