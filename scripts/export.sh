#!/bin/bash
# Export the work tree's commits base..HEAD into patches/ and `series`.
#
#   scripts/export.sh [--force]
#
# Patch files are named NNNN-<git's slug of the subject>.patch. Output is
# pinned (zero From hashes, no signature, no numbering, fixed abbrev and
# diff options), so exporting the same commits twice gives byte-identical
# files; unchanged files are not rewritten. Stale patch files are removed
# and `series` is rewritten (its leading comment block is kept). The tree
# is then recorded as in sync, so scripts/apply.sh leaves it alone.
#
# The Launcher's patches are made from this workspace's tools/lguest and
# scripts/launcher/ (steps: which patch adds which files, and their
# messages; the work tree's copy is not exported: edit tools/lguest
# here); only patches that leave tools/lguest alone may follow them.
#
# Refuses (unless --force) when `series` changed since the tree was made,
# since exporting would overwrite those changes.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

force=''
case ${1:-} in
"") ;;
--force) force=1 ;;
-h | --help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
*) die "unknown argument '$1'" "usage: $0 [--force]" ;;
esac

need_tree "$LINUX"
git_l() { git -C "$LINUX" "$@"; }

[[ ! -d $LINUX/.git/rebase-apply ]] ||
	die "a git am or rebase is in progress in $LINUX" \
		"finish it first: git -C $LINUX am --continue (or --abort)"
[[ -z $(git_l rev-list --merges base..HEAD) ]] ||
	die "base..HEAD in $LINUX contains merge commits" \
		"linearise the history (git rebase base) and export again"
[[ -z $(git_l status --porcelain --untracked-files=no) ]] ||
	warn "$LINUX has uncommitted changes; they are not exported (commit them first)"

rec_sum=$(state_get series-sha256)
cur_sum=$(series_sum)
if [[ -z $force && $cur_sum != "$rec_sum" ]]; then
	if [[ -n $rec_sum || -n $(series_patches) ]]; then
		die "the series changed since $LINUX was made from it (e.g. after a git pull)" \
			"exporting would overwrite those changes. Update the tree from the" \
			"series (scripts/apply.sh, with --fresh if it has commits of its own),"
	fi
fi

# The Launcher's patches are made from tools/lguest, not edited in the
# tree: remake them in their place, or as the last commits if there are
# none yet, moving HEAD (and the files under tools/lguest, keeping any
# other local change) when they differ.  The commits after them are
# replayed onto the new ones; they must leave tools/lguest alone.
launcher_check_steps || die "fix scripts/launcher/steps"
mapfile -t found < <(launcher_found "$LINUX")
if [[ ${#found[@]} -eq 0 ]]; then
	old='' parent=$(git_l rev-parse HEAD)
else
	# The Launcher's commits (as many as there were steps when they were
	# made) are replaced as one run: nothing else may be among them.
	mapfile -t run < <(git_l rev-list --reverse "${found[0]}~1..${found[-1]}")
	[[ "${run[*]}" == "${found[*]}" ]] ||
		die "$LINUX has other commits among the Launcher's" \
			"move them after the Launcher's (git rebase -i base), then export again"
	old=${found[-1]} parent=$(git_l rev-parse "${found[0]}~1")
	[[ -z $(git_l diff --name-only "$old" HEAD -- tools/lguest) ]] ||
		die "commits after the Launcher's in $LINUX change tools/lguest" \
			"edit tools/lguest in this workspace instead, and drop those changes"
fi
launcher=$(launcher_chain "$LINUX" "$parent" | tail -n 1) ||
	die "could not make the Launcher's commits"
if [[ $launcher != "$old" ]]; then
	info "remaking the Launcher's commits from tools/lguest"
	if [[ -z $old || $old == $(git_l rev-parse HEAD) ]]; then
		git_l reset -q --keep "$launcher" ||
			die "could not move $LINUX to the remade Launcher commits" \
				"commit or stash the local changes under tools/lguest there"
	else
		[[ -z $(git_l status --porcelain --untracked-files=no) ]] ||
			die "$LINUX has uncommitted changes" \
				"commit or stash them, then export again"
		git_l rebase -q --onto "$launcher" "$old" ||
			die "could not replay the commits after the Launcher in $LINUX" \
				"finish the rebase there (or git rebase --abort), then export again"
	fi
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Every option that could vary with the user's git config is pinned.
git_l -c core.abbrev=12 -c diff.noprefix=false -c diff.mnemonicPrefix=false \
	-c diff.relative=false -c diff.renames=true -c format.coverLetter=false \
	format-patch --quiet --zero-commit --no-signature --no-numbered \
	--no-thread --no-cover-letter --no-base --no-notes --no-to --no-cc \
	--no-add-header --suffix=.patch --filename-max-length=64 \
	--start-number=1 --diff-algorithm=myers --indent-heuristic -O/dev/null \
	-o "$tmp/out" base..HEAD >/dev/null

mkdir -p "$PATCHES"
new_names=()
if [[ -d $tmp/out ]]; then
	mapfile -t new_names < <(cd "$tmp/out" && ls -- *.patch)
fi

added=() changed=() unchanged=() removed=()
for name in "${new_names[@]}"; do
	if [[ ! -f $PATCHES/$name ]]; then
		added+=("$name")
	elif cmp -s "$tmp/out/$name" "$PATCHES/$name"; then
		unchanged+=("$name")
		continue
	else
		changed+=("$name")
	fi
	cp "$tmp/out/$name" "$PATCHES/$name"
done

# Stale: patch files in patches/ or names in the old series that are gone.
declare -A keep=()
for name in "${new_names[@]}"; do keep[$name]=1; done
while read -r name; do
	[[ -n ${keep[$name]:-} ]] && continue
	keep[$name]=1
	if [[ -f $PATCHES/$name ]]; then
		rm -f -- "${PATCHES:?}/$name"
		removed+=("$name")
	fi
done < <({ series_patches; cd "$PATCHES" && ls -- *.patch 2>/dev/null; } | sort -u)

# Rewrite series: the old leading comment block, then the patch names.
{
	if [[ -f $SERIES ]] && head -n 1 "$SERIES" | grep -q '^#'; then
		sed -n '/^#/!q;p' "$SERIES"
	else
		echo "# Patches applied in order onto the Debian linux-source-6.12 tree."
		echo "# One file name (in patches/) per line; '#' starts a comment."
	fi
	[[ ${#new_names[@]} -eq 0 ]] || printf '%s\n' "${new_names[@]}"
} >"$tmp/series"
cmp -s "$tmp/series" "$SERIES" 2>/dev/null || cp "$tmp/series" "$SERIES"

new_sum=$(series_sum)
state_set "$new_sum" "$(git_l rev-parse HEAD)"

report() {
	local what=$1 name
	shift
	for name in "$@"; do printf '  %-9s %s\n' "$what" "$name"; done
}
report new "${added[@]}"
report changed "${changed[@]}"
report removed "${removed[@]}"
info "${#new_names[@]} patch(es): ${#added[@]} new, ${#changed[@]} changed," \
	"${#unchanged[@]} unchanged, ${#removed[@]} removed"
