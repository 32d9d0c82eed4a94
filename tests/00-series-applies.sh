#!/bin/bash
# The series applies onto a pristine base with strict git am (no 3-way,
# no fuzz), in a scratch worktree: independent of the state of build/linux;
# its Launcher patch is tools/lguest of this workspace.
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

# One patch adds tools/lguest exactly as this workspace has it (the files
# git tracks, and scripts/launcher-commit.txt as its message); the patches
# after it leave tools/lguest alone.
mapfile -t found < <(git -C "$wt" log --format='%H %s' base..HEAD |
	awk -v s="$(launcher_subject)" 'substr($0, 42) == s { print $1 }')
if [[ ${#found[@]} -ne 1 ]]; then
	echo "FAIL: ${#found[@]} patches are called '$(launcher_subject)', not one"
	echo "      make it with scripts/export.sh"
	exit 1
fi
have=${found[0]}
want=$(launcher_commit "$wt" "$have~1")
if [[ $(git -C "$wt" rev-parse "$want^{tree}") != $(git -C "$wt" rev-parse "$have^{tree}") ]]; then
	echo "FAIL: the Launcher patch differs from tools/lguest:"
	git -C "$wt" diff --stat "$have" "$want" | sed 's/^/      /'
	echo "      remake it with scripts/export.sh"
	exit 1
fi
if [[ $(git -C "$wt" log -1 --format=%B "$want") != "$(git -C "$wt" log -1 --format=%B "$have")" ]]; then
	echo "FAIL: the Launcher patch's message differs from scripts/launcher-commit.txt"
	echo "      remake it with scripts/export.sh"
	exit 1
fi
if [[ -n $(git -C "$wt" diff --name-only "$have" HEAD -- tools/lguest) ]]; then
	echo "FAIL: patches after the Launcher's change tools/lguest:"
	git -C "$wt" log --format='      %s' "$have..HEAD" -- tools/lguest
	echo "      edit tools/lguest in this workspace instead"
	exit 1
fi
echo "the Launcher patch is in sync with tools/lguest, and no later patch changes it"
