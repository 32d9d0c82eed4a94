#!/bin/bash
# Every prefix of the series builds (the series is bisectable).
#
#   scripts/check-bisect.sh
#
# In a separate worktree (build/bisect/linux) at base, applies the patches
# of `series` one by one with strict git am and, after each, builds the
# nopae and pae variants (tinyconfig + fragments, ccache; outputs in
# build/bisect/out-VARIANT, reused from step to step, so each step is an
# incremental build). Fails naming the first prefix that does not apply or
# build. Logs: build/bisect/NNNN-VARIANT.log. Slow: run by GitLab CI (and
# `make bisect`), not by scripts/test.sh.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

need_series bisect
files=("${SERIES_FILES[@]}")
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
	for v in nopae pae; do
		log=$dir/$(printf '%04d' "$k")-$v.log
		"$TOP/scripts/build-kernel.sh" --tree "$wt" --out "$dir/out-$v" \
			--allow-unknown "$v" >"$log" 2>&1 ||
			die "the series does not build after patch $k/$n $name (variant $v)" \
				"$(grep -E 'error|Error' "$log" | tail -n 10)" "full log: $log"
	done
	echo "ok   $k/$n $name"
done
info "all $n prefixes of the series build (nopae and pae)"
