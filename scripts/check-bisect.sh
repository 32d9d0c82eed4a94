#!/bin/bash
# Every prefix of the series builds (the series is bisectable).
#
#   scripts/check-bisect.sh [--from N] [--to M]
#
# --from N   apply patches 1 to N-1 without building, then build after
#            each patch from N on: after a change to patch N, the
#            prefixes before it are as they were.
# --to M     stop after patch M.
#
# In a separate worktree (build/bisect/linux) at base, applies the patches
# of `series` one by one with strict git am and, after each, builds the
# nopae and pae variants (tinyconfig + fragments, ccache; outputs in
# build/bisect/out-VARIANT, reused from step to step, so each step is an
# incremental build). Fails naming the first prefix that does not apply or
# build, and the first patch that adds a .c or .S file of the kernel which
# neither variant of its own build compiles (an object older than the
# source): the host is built from the bottom up, each patch adding its
# objects to the Makefile. Logs: build/bisect/NNNN-VARIANT.log. Slow: run
# by GitLab CI (and `make bisect`), not by scripts/test.sh.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

from=1 to=''
while [[ $# -gt 0 ]]; do
	case $1 in
	--from)
		[[ ${2:-} =~ ^[1-9][0-9]*$ ]] || die "--from needs a patch number, e.g. --from 20"
		from=$2
		shift
		;;
	--to)
		[[ ${2:-} =~ ^[1-9][0-9]*$ ]] || die "--to needs a patch number, e.g. --to 28"
		to=$2
		shift
		;;
	-h | --help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//p}' "$0"; exit 0 ;;
	*) die "unknown argument '$1'" "usage: $0 [--from N] [--to M]" ;;
	esac
	shift
done

need_series bisect
files=("${SERIES_FILES[@]}")
[[ $from -le ${#files[@]} ]] ||
	die "--from $from: the series has ${#files[@]} patches" "give a patch number from 1 to ${#files[@]}"
[[ -z $to ]] || [[ $to -ge $from && $to -le ${#files[@]} ]] ||
	die "--to $to: give a patch number from $from to ${#files[@]}"
[[ -n $to ]] || to=${#files[@]}
dir=$BUILD/bisect
wt=$dir/linux
mkdir -p "$dir"

if [[ -e $wt/.git ]] && git -C "$wt" rev-parse -q --verify HEAD >/dev/null; then
	git -C "$wt" am --abort >/dev/null 2>&1 || true
	git -C "$wt" checkout -q --force --detach base
else
	rm -rf "$wt"
	git -C "$LINUX" worktree prune
	git -C "$LINUX" worktree add -q --detach "$wt" base
fi

n=${#files[@]} k=0
for f in "${files[@]}"; do
	k=$((k + 1))
	name=${f##*/}
	if ! git -C "$wt" am -q --no-3way "$f" >"$dir/am.log" 2>&1; then
		git -C "$wt" am --abort || true
		die "patch $k/$n $name does not apply onto base + the patches before it" \
			"$(grep -E '^(error|fatal)' "$dir/am.log" || cat "$dir/am.log")"
	fi
	if [[ $k -lt $from ]]; then
		echo "--   $k/$n $name (applied, not built)"
		continue
	fi
	for v in nopae pae; do
		log=$dir/$(printf '%04d' "$k")-$v.log
		"$TOP/scripts/build-kernel.sh" --tree "$wt" --out "$dir/out-$v" \
			--allow-unknown "$v" >"$log" 2>&1 ||
			die "the series does not build after patch $k/$n $name (variant $v)" \
				"$(grep -E 'error|Error' "$log" | tail -n 10)" "full log: $log"
	done
	# The kernel files the patch adds are compiled by its own build, in
	# one variant at least (the KUnit tests are nopae's only): the
	# objects are newer than the sources git am just wrote.
	while IFS= read -r src; do
		case $src in tools/* | scripts/* | Documentation/*) continue ;; esac
		[[ $dir/out-nopae/${src%.*}.o -nt $wt/$src ||
		   $dir/out-pae/${src%.*}.o -nt $wt/$src ]] ||
			die "patch $k/$n $name adds $src, which neither its nopae nor its pae build compiles" \
				"add its object to the Makefile (and its Kconfig) in the same patch"
	done < <(git -C "$wt" diff --name-only --diff-filter=A HEAD~1 HEAD -- '*.c' '*.S')
	echo "ok   $k/$n $name"
	[[ $k -lt $to ]] || break
done
if [[ $from -le 1 && $to -eq $n ]]; then
	info "all $n prefixes of the series build (nopae and pae) and compile what they add"
else
	info "the prefixes of the series from patch $from to $to build (nopae and pae) and compile what they add"
fi
