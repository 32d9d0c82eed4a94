#!/bin/bash
# The series applies onto a pristine base with strict git am (no 3-way,
# no fuzz), in a scratch worktree: independent of the state of build/linux;
# its Launcher patches are tools/lguest of this workspace, in the steps
# of scripts/launcher/steps.
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

# The Launcher's patches add tools/lguest exactly as this workspace has
# it (the files git tracks, in the steps of scripts/launcher/steps, with
# the messages there), one after the other; the patches after them
# leave tools/lguest alone.
launcher_check_steps || exit 1
nsteps=$(launcher_steps | wc -l)
mapfile -t found < <(launcher_found "$wt")
if [[ ${#found[@]} -ne $nsteps ]]; then
	echo "FAIL: ${#found[@]} patches have the subject of one of the Launcher's $nsteps (scripts/launcher/steps)"
	echo "      make them with scripts/export.sh"
	exit 1
fi
mapfile -t run < <(git -C "$wt" rev-list --reverse "${found[0]}~1..${found[-1]}")
if [[ "${run[*]}" != "${found[*]}" ]]; then
	echo "FAIL: other patches are among the Launcher's"
	exit 1
fi
for ((k = 1; k <= nsteps; k++)); do
	have=${found[k - 1]}
	want=$(launcher_commit "$wt" "$have~1" "$k")
	if [[ $(git -C "$wt" rev-parse "$want^{tree}") != $(git -C "$wt" rev-parse "$have^{tree}") ]]; then
		echo "FAIL: Launcher patch $k/$nsteps differs from tools/lguest and scripts/launcher/steps:"
		git -C "$wt" diff --stat "$have" "$want" | sed 's/^/      /'
		echo "      remake it with scripts/export.sh"
		exit 1
	fi
	if [[ $(git -C "$wt" log -1 --format=%B "$want") != "$(git -C "$wt" log -1 --format=%B "$have")" ]]; then
		echo "FAIL: Launcher patch $k/$nsteps's message differs from scripts/launcher/$(launcher_steps | sed -n "${k}s/:.*//p")"
		echo "      remake it with scripts/export.sh"
		exit 1
	fi
done
have=${found[-1]}
if [[ -n $(git -C "$wt" diff --name-only "$have" HEAD -- tools/lguest) ]]; then
	echo "FAIL: patches after the Launcher's change tools/lguest:"
	git -C "$wt" log --format='      %s' "$have..HEAD" -- tools/lguest
	echo "      edit tools/lguest in this workspace instead"
	exit 1
fi
echo "the Launcher's $nsteps patches are in sync with tools/lguest, and no later patch changes it"
