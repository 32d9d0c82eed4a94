#!/bin/bash
# The series applies onto a pristine base with strict git am (no 3-way,
# no fuzz), in a scratch worktree: independent of the state of build/linux.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"

need_tree "$LINUX"
load_series
files=("${SERIES_FILES[@]}")
wt=$(mktemp -d "$BUILD/series-applies.XXXXXX")
cleanup() {
	git -C "$LINUX" worktree remove --force "$wt" 2>/dev/null || rm -rf "$wt"
	git -C "$LINUX" worktree prune
}
trap cleanup EXIT

git -C "$LINUX" worktree add -q --detach "$wt" base
n=0
for f in "${files[@]}"; do
	n=$((n + 1))
	if ! git -C "$wt" am --no-3way "$f"; then
		git -C "$wt" am --abort || true
		echo "FAIL: patch $n/${#files[@]} ${f##*/} does not apply onto base + the patches before it"
		exit 1
	fi
done
echo "the series (${#files[@]} patches) applies onto base"
