#!/bin/bash
# Configure and build one kernel variant.
#
#   scripts/build-kernel.sh [OPTIONS] VARIANT [MAKE ARGS...]
#
# VARIANT          nopae | pae            the patched tree build/linux
#                  debug                  pae with configs/debug.config
#                  base-nopae | base-pae  the unpatched tree build/linux-base
#                  x86_64 | base-x86_64   a 64-bit KVM-guest-like kernel
#                                         (configs/x86_64.config), patched
#                                         and unpatched
# --tree DIR       build another tree (e.g. a bisect worktree) as VARIANT
# --out DIR        output directory (default build/out-VARIANT, or
#                  build/out-VARIANT-llvm with --llvm)
# --fragment FILE  merge FILE after the variant's fragments (repeatable)
# --llvm           build with clang and the LLVM tools (LLVM=1) instead of
#                  gcc and binutils
# --allow-unknown  fragment symbols that the tree's Kconfig does not know
#                  may be missing (always so for base variants)
#
# The config is `make ARCH=i386 tinyconfig` (x86_64 for the x86_64
# variants, with configs/x86_64.config alone), then configs/base.config,
# configs/{nopae,pae}.config, configs/debian.config (not for debug) and, for
# patched variants, configs/lguest.config
# (and for nopae configs/lguest-y.config: the host built in, where pae has
# lg.ko) merged with merge_config.sh -m, then `make olddefconfig`.
# It is regenerated only when a fragment is newer than .config or the
# tree's HEAD changed, and every symbol the fragments set must come out
# as set (base variants may lack symbols their Kconfig does not know).
#
# MAKE ARGS: VAR=value and -option arguments are passed to make; any other
# argument is a make target and replaces the default targets (bzImage, plus
# modules if CONFIG_MODULES=y). E.g.:
#   scripts/build-kernel.sh nopae C=2 W=1 arch/x86/kernel/paravirt.o
# Prints the bzImage path when bzImage was built.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() { sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; }

tree='' out='' allow_unknown='' llvm='' extra=()
while [[ $# -gt 0 ]]; do
	case $1 in
	--tree) tree=${2:?--tree needs a directory}; shift ;;
	--out) out=${2:?--out needs a directory}; shift ;;
	--allow-unknown) allow_unknown=1 ;;
	--llvm) llvm=1 ;;
	--fragment) extra+=("$(realpath "${2:?--fragment needs a file}")"); shift ;;
	-h | --help) usage; exit 0 ;;
	-*) die "unknown option '$1'" "usage: $0 [OPTIONS] VARIANT [MAKE ARGS...]" ;;
	*) break ;;
	esac
	shift
done
[[ $# -ge 1 ]] || die "no variant given" "usage: $0 [OPTIONS] VARIANT [MAKE ARGS...]"
variant=$1
shift
default_tree=$(variant_tree "$variant")
tree=${tree:-$default_tree}
out=${out:-$BUILD/out-$variant${llvm:+-llvm}}
need_tree "$tree"
need_cmd ccache
if [[ -n $llvm ]]; then
	need_cmd clang
	need_cmd ld.lld lld
	need_cmd llvm-objcopy llvm
	compiler=(LLVM=1 CC="ccache clang")
else
	need_cmd gcc
	compiler=(CC="ccache gcc")
fi
tree=$(cd "$tree" && pwd)
mkdir -p "$out"
out=$(cd "$out" && pwd) # make -C runs in the tree: O= must be absolute

fragments=("$CONFIGS/base.config") arch=i386
case $variant in
*x86_64)
	fragments=("$CONFIGS/x86_64.config") arch=x86_64
	[[ $variant == x86_64 ]] || allow_unknown=1
	;;
base-*)
	fragments+=("$CONFIGS/${variant#base-}.config" "$CONFIGS/debian.config")
	allow_unknown=1
	;;
debug) fragments+=("$CONFIGS/pae.config" "$CONFIGS/lguest.config" "$CONFIGS/debug.config") ;;
*)
	fragments+=("$CONFIGS/$variant.config" "$CONFIGS/debian.config" "$CONFIGS/lguest.config")
	[[ $variant != nopae ]] || fragments+=("$CONFIGS/lguest-y.config")
	;;
esac
fragments+=("${extra[@]}")
for f in "${fragments[@]}"; do
	[[ -f $f ]] || die "config fragment $f is missing" "restore it from git: git checkout -- ${f#"$TOP"/}"
done

kmake() { make -C "$tree" O="$out" ARCH="$arch" "${compiler[@]}" "$@"; }

stamp=$out/.lguest-config-stamp
stamp_text() {
	printf 'tree %s\nhead %s\nfragments %s\ncompiler %s\n' "$tree" \
		"$(git -C "$tree" rev-parse HEAD)" "${fragments[*]#"$TOP"/}" \
		"${compiler[*]}"
}

config_stale() {
	[[ -f $out/.config && -f $stamp ]] || return 0
	[[ $(stamp_text) == "$(cat "$stamp")" ]] || return 0
	local f
	for f in "${fragments[@]}"; do
		[[ $f -nt $out/.config ]] && return 0
	done
	return 1
}

# check_config: every CONFIG_X=... and "# CONFIG_X is not set" line of
# the fragments (the last one of a symbol wins) must hold in .config.
check_config() {
	local -A want=()
	local f line sym bad=() known=
	for f in "${fragments[@]}"; do
		while IFS= read -r line; do
			if [[ $line =~ ^(CONFIG_[A-Za-z0-9_]+)=n$ ]]; then
				want[${BASH_REMATCH[1]}]='unset'
			elif [[ $line =~ ^(CONFIG_[A-Za-z0-9_]+)= ]]; then
				want[${BASH_REMATCH[1]}]=$line
			elif [[ $line =~ ^#\ (CONFIG_[A-Za-z0-9_]+)\ is\ not\ set ]]; then
				want[${BASH_REMATCH[1]}]='unset'
			fi
		done <"$f"
	done
	if [[ -n $allow_unknown ]]; then
		known=$(git -C "$tree" grep -hE '^[[:space:]]*(menu)?config[[:space:]]+[A-Za-z0-9_]+' -- '*Kconfig*' |
			awk '{print "CONFIG_" $2}' | sort -u)
	fi
	for sym in "${!want[@]}"; do
		line=$(grep -m1 "^$sym=" "$out/.config" || true)
		if [[ ${want[$sym]} == unset ]]; then
			[[ -z $line ]] && continue
		else
			[[ $line == "${want[$sym]}" ]] && continue
		fi
		if [[ -n $allow_unknown ]] && ! grep -qx "$sym" <<<"$known"; then
			continue # the tree's Kconfig does not know this symbol
		fi
		bad+=("$sym: fragments want '${want[$sym]/#unset/is not set}', .config has '${line:-is not set}'")
	done
	[[ ${#bad[@]} -eq 0 ]] && return 0
	mapfile -t bad < <(printf '%s\n' "${bad[@]}" | sort)
	die "the $variant config does not honour these fragment symbols:" "${bad[@]}" \
		"fix: add the missing dependencies to the fragment (see make O=$out menuconfig, '/' to search)"
}

gen_config() {
	info "configuring $variant in $out"
	mkdir -p "$out"
	# Keep .config's timestamp when its content comes out the same, so
	# that nothing is rebuilt for a config regeneration that changes nothing.
	[[ ! -f $out/.config ]] || cp -p "$out/.config" "$out/.config.lguest-prev"
	kmake -s tinyconfig >/dev/null
	(cd "$out" && "$tree/scripts/kconfig/merge_config.sh" -m -O "$out" \
		"$out/.config" "${fragments[@]}" >"$out/merge_config.log")
	kmake -s olddefconfig >/dev/null
	check_config
	if [[ -f $out/.config.lguest-prev ]]; then
		cmp -s "$out/.config" "$out/.config.lguest-prev" &&
			touch -r "$out/.config.lguest-prev" "$out/.config"
		rm -f "$out/.config.lguest-prev"
	fi
	stamp_text >"$stamp"
}

if config_stale; then
	gen_config
else
	info "$variant config is up to date"
fi

vars=() targets=()
for a in "$@"; do
	if [[ $a == *=* || $a == -* ]]; then vars+=("$a"); else targets+=("$a"); fi
done
if [[ ${#targets[@]} -eq 0 ]]; then
	targets=(bzImage)
	! grep -qx 'CONFIG_MODULES=y' "$out/.config" || targets+=(modules)
fi

info "building $variant: make ${vars[*]+${vars[*]} }${targets[*]}"
kmake -j"$JOBS" "${vars[@]}" "${targets[@]}"

for t in "${targets[@]}"; do
	if [[ $t == bzImage ]]; then
		printf '%s\n' "$out/arch/x86/boot/bzImage"
	fi
done
