#!/bin/bash
# The series applies onto a pristine base with strict git am (no 3-way,
# no fuzz), in a scratch worktree: independent of the state of build/linux;
# its last patch is tools/lguest of this workspace.
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

# The last patch adds tools/lguest exactly as this workspace has it (the
# files git tracks, and scripts/launcher-commit.txt as its message).
if [[ $(git -C "$wt" log -1 --format=%s) != "$(launcher_subject)" ]]; then
	echo "FAIL: the last patch is not '$(launcher_subject)'"
	echo "      make it with scripts/export.sh"
	exit 1
fi
want=$(launcher_commit "$wt" HEAD~1)
if [[ $(git -C "$wt" rev-parse "$want^{tree}") != $(git -C "$wt" rev-parse "HEAD^{tree}") ]]; then
	echo "FAIL: the Launcher patch differs from tools/lguest:"
	git -C "$wt" diff --stat HEAD "$want" | sed 's/^/      /'
	echo "      remake it with scripts/export.sh"
	exit 1
fi
if [[ $(git -C "$wt" log -1 --format=%B "$want") != "$(git -C "$wt" log -1 --format=%B HEAD)" ]]; then
	echo "FAIL: the Launcher patch's message differs from scripts/launcher-commit.txt"
	echo "      remake it with scripts/export.sh"
	exit 1
fi
echo "the last patch is the Launcher, in sync with tools/lguest"
