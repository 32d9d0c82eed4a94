#!/bin/bash
# sparse (C=2) and W=1 warnings that the series adds.
#
#   scripts/check-sparse.sh [--llvm]
#
# --llvm   build with clang and the LLVM tools (LLVM=1; outputs in
#          build/out-VARIANT-llvm), logs in build/sparse-llvm/
#
# Targets are computed from `git -C build/linux diff --name-only base..HEAD`:
# each touched .c or .S file gives its directory, which Kbuild builds as
# the configuration says (a file the configuration leaves out is not
# built), but for the decompressor's, whose directory would link the whole
# kernel: those give their .o.  A touched Makefile, Kbuild or Kconfig only
# decides which objects are built, and a touched header gives no target
# of its own (the touched .c files include the series' headers). They are built with C=2 W=1 in the
# patched variants (nopae, pae) and, where they exist, in the matching
# base variants (base-nopae, base-pae). Warnings are normalised (tree
# prefix and line:column numbers removed) and the check fails on any
# warning of a patched build that the base build does not have.
# Logs and warning lists are in build/sparse/. An empty series passes.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

llvm=()
case ${1:-} in
'') ;;
--llvm) llvm=(--llvm) ;;
-h | --help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
*) die "unknown argument '$1'" "usage: $0 [--llvm]" ;;
esac
sfx=${llvm:+-llvm}
need_tree "$LINUX"
need_cmd sparse
out=$BUILD/sparse$sfx
mkdir -p "$out"

targets=() base_targets=()
declare -A seen=()
add_target() { # add_target TARGET PATH-IN-TREE
	[[ -z ${seen[$1]:-} ]] || return 0
	seen[$1]=1
	targets+=("$1")
	[[ ! -e $LINUX_BASE/$2 ]] || base_targets+=("$1")
}
while read -r f; do
	case $f in
	tools/* | scripts/* | Documentation/* | usr/* | samples/* | .* | */.*) continue ;;
	esac
	[[ $f == *.[cS] && -f $LINUX/$f ]] || continue
	case $f in
	arch/x86/boot/*) add_target "${f%.[cS]}.o" "$f" ;;
	*) add_target "$(dirname "$f")/" "$(dirname "$f")" ;;
	esac
done < <(git -C "$LINUX" diff --name-only base..HEAD)

# A directory target covers every target below it: keep only the outer one
# (kbuild cannot mix a directory and a single object below it in one run).
prune() {
	local t d keep
	for t in "$@"; do
		keep=1
		for d in "$@"; do
			[[ $d == */ && $d != "$t" && $t == "$d"* ]] && keep=''
		done
		[[ -z $keep ]] || printf '%s\n' "$t"
	done
}
mapfile -t targets < <(prune "${targets[@]}")
mapfile -t base_targets < <(prune "${base_targets[@]}")

if [[ ${#targets[@]} -eq 0 ]]; then
	info "the series touches no kernel C file or directory: nothing to check"
	exit 0
fi
need_tree "$LINUX_BASE"
info "targets: ${targets[*]}"

# warnings VARIANT LOG: the normalised warning lines of a build log.
# Paths are absolute or relative to the output directory (../linux/...).
warnings() {
	local tree rel
	tree=$(variant_tree "$1")
	rel=$(realpath -m --relative-to="$BUILD/out-$1$sfx" "$tree")
	tr -d '\r' <"$2" |
		grep -E '(warning|error):' |
		sed -E -e "s#$tree/##g" -e "s#(^|[[:space:]])$rel/#\\1#g" \
			-e 's#(^|[[:space:]])\./#\1#g' \
			-e 's#:[0-9]+:[0-9]+:#:#' -e 's#:[0-9]+:#:#' |
		sort -u
}

# build VARIANT TARGET...: C=2 W=1 build, one make run per target; the
# log is $out/VARIANT.log.
build() {
	local v=$1 t
	shift
	: >"$out/$v.log"
	for t in "$@"; do
		info "building $t in $v with C=2 W=1"
		# Objects that are up to date would not be compiled, and their W=1
		# warnings not printed: remove them (ccache makes the rebuild
		# cheap, and replays the warnings).
		if [[ $t == */ ]]; then
			[[ ! -d $BUILD/out-$v$sfx/$t ]] || find "$BUILD/out-$v$sfx/$t" -name '*.o' -delete
		else
			rm -f "$BUILD/out-$v$sfx/$t"
		fi
		if ! "$TOP/scripts/build-kernel.sh" "${llvm[@]}" "$v" -k C=2 W=1 "$t" >>"$out/$v.log" 2>&1; then
			grep -E 'error|Error' "$out/$v.log" | tail -n 20 >&2 || true
			die "the C=2 W=1 build of $t in $v failed" "see $out/$v.log"
		fi
	done
	warnings "$v" "$out/$v.log" >"$out/$v.warnings"
}

status=0
for v in nopae pae; do
	build "$v" "${targets[@]}"
	if [[ ${#base_targets[@]} -gt 0 ]]; then
		build "base-$v" "${base_targets[@]}"
	else
		: >"$out/base-$v.warnings"
	fi
	comm -23 "$out/$v.warnings" "$out/base-$v.warnings" >"$out/$v.new-warnings"
	if [[ -s $out/$v.new-warnings ]]; then
		echo "new warnings in $v (not in base-$v):"
		sed 's/^/    /' "$out/$v.new-warnings"
		status=1
	else
		info "$v: no warning beyond those of base-$v ($(wc -l <"$out/$v.warnings") in all)"
	fi
done
[[ $status -eq 0 ]] ||
	die "the series adds sparse or W=1 warnings (listed above)" \
		"fix them in $LINUX; full logs in $out/"
