#!/bin/bash
# Create or update the kernel work tree build/linux from the Debian
# linux-source-6.12 tarball and the patches listed in `series`.
#
#   scripts/apply.sh [--fresh [--force]]
#
# - No build/linux: extract the tarball, commit it as tag `base` on branch
#   `lguest`, then `git am` every patch of the series (strictly: no 3-way,
#   no fuzz).
# - build/linux exists and is in sync with the series: nothing to do.
# - The series changed and build/linux has no commits of its own: reset it
#   to `base` and apply the series again.
# - build/linux has commits beyond what was applied: it is a development
#   tree; it is kept and a warning says so (export it with scripts/export.sh).
# In every case build/linux-base, the unpatched worktree at `base`, is
# created if missing.
#
# --fresh removes build/linux and build/linux-base and starts over; it
# refuses to throw away a development tree unless --force is also given.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() { sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; }

fresh='' force=''
while [[ $# -gt 0 ]]; do
	case $1 in
	--fresh) fresh=1 ;;
	--force) force=1 ;;
	-h | --help) usage; exit 0 ;;
	*) die "unknown argument '$1'" "usage: $0 [--fresh [--force]]" ;;
	esac
	shift
done

git_l() { git -C "$LINUX" "$@"; }

# Hide the Debian stanza of the top-level .gitignore ("/*" ignores every
# new top-level file) without committing anything: mark the file
# skip-worktree and cut the stanza from the working copy only.
neutralise_gitignore() {
	git_l update-index --skip-worktree .gitignore
	sed -i '/^# Debian packaging/,$d' "$LINUX/.gitignore"
}

create_tree() {
	[[ -f $LINUX_TARBALL ]] ||
		die "$LINUX_TARBALL not found" "install it: apt-get install $LINUX_SRC_PKG (or scripts/setup.sh as root)"
	local tmp=$BUILD/linux.extract.$$ src pkgver version ts
	mkdir -p "$BUILD"
	rm -rf "$tmp"
	mkdir "$tmp"
	info "extracting $LINUX_TARBALL"
	tar -xf "$LINUX_TARBALL" -C "$tmp"
	src=$(find "$tmp" -mindepth 1 -maxdepth 1 -type d)
	[[ -f $src/Makefile ]] || die "$LINUX_TARBALL does not hold a single kernel tree"
	mv "$src" "$LINUX"
	rmdir "$tmp"

	version=$(awk -F' = ' '/^VERSION/{v=$2} /^PATCHLEVEL/{p=$2} /^SUBLEVEL/{s=$2}
		/^EXTRAVERSION/{e=$2; print v "." p "." s e; exit}' "$LINUX/Makefile")
	pkgver=$(dpkg-query -W -f='${Version}' "$LINUX_SRC_PKG")
	# Date the commit with the tarball's own timestamp, so that the base
	# commit is the same on every machine with the same package.
	ts="@$(date -r "$LINUX/Makefile" +%s) +0000"

	info "committing Linux $version as tag base"
	git_l init -q -b lguest
	git_l config user.name "lguest developers"
	git_l config user.email "lguest@example.org"
	git_l add -f -A
	GIT_AUTHOR_DATE=$ts GIT_COMMITTER_DATE=$ts \
		git_l commit -q -m "Linux $version (Debian $LINUX_SRC_PKG $pkgver)"
	git_l tag base
	neutralise_gitignore
}

# apply_series: git am each patch of the series onto the current HEAD,
# one at a time so that a failure names its patch; record the result.
apply_series() {
	local sum files f out start n=0
	sum=$(series_sum)
	start=$(git_l rev-parse HEAD)
	load_series
	files=("${SERIES_FILES[@]}")
	for f in "${files[@]}"; do
		n=$((n + 1))
		info "applying ${f##*/}"
		if ! out=$(git_l am --no-3way "$f" 2>&1); then
			git_l am --abort || true
			git_l reset -q --keep "$start"
			state_set failed "$start"
			die "patch $n/${#files[@]} ${f##*/} does not apply onto base + the patches before it" \
				"(strict git am: no 3-way merge, no fuzz; the tree was reset to where it started)" \
				"git says:" \
				"$(grep -E '^(error|fatal)' <<<"$out" || printf '%s' "$out")" \
				"fix: rebase the patch (scripts/export.sh from a tree where it applies)"
		fi
	done
	state_set "$sum" "$(git_l rev-parse HEAD)"
	info "applied ${#files[@]} patch(es); HEAD $(git_l rev-parse --short HEAD)"
}

# dev_tree: true if $LINUX has commits that are not the recorded series.
dev_tree() {
	local head rec_head
	head=$(git_l rev-parse HEAD)
	rec_head=$(state_get head)
	if [[ -z $rec_head ]]; then
		[[ $head != "$(git_l rev-parse base)" ]]
	else
		[[ $head != "$rec_head" ]]
	fi
}

sync_tree() {
	local sum rec_sum
	[[ ! -d $LINUX/.git/rebase-apply ]] ||
		die "a git am or rebase is in progress in $LINUX" \
			"finish it first: git -C $LINUX am --continue (or --abort)"
	sum=$(series_sum)
	rec_sum=$(state_get series-sha256)
	if dev_tree; then
		warn "$LINUX has commits beyond the applied series: it is a development tree and is kept as is"
		warn "export it into patches/ and series with scripts/export.sh"
		[[ -z $rec_sum || $sum == "$rec_sum" ]] ||
			warn "the series differs from what this tree was made from; scripts/apply.sh --fresh rebuilds it from the series"
		return 0
	fi
	if [[ $sum == "$rec_sum" ]]; then
		info "$LINUX is in sync with the series"
		return 0
	fi
	# HEAD is base (nothing recorded yet) or the recorded HEAD.
	if [[ $(git_l rev-parse HEAD) != "$(git_l rev-parse base)" ]]; then
		[[ -z $(git_l status --porcelain --untracked-files=no) ]] ||
			die "$LINUX has uncommitted changes and the series changed" \
				"commit them (then scripts/export.sh) or discard them (git -C $LINUX reset --hard)"
		info "the series changed: resetting $LINUX to base and applying it again"
		git_l reset -q --hard base
		neutralise_gitignore
	fi
	apply_series
}

ensure_base_worktree() {
	local base
	base=$(git_l rev-parse base)
	if [[ -e $LINUX_BASE ]]; then
		if [[ $(git -C "$LINUX_BASE" rev-parse HEAD 2>/dev/null) == "$base" ]]; then
			return 0
		fi
		warn "$LINUX_BASE is not a worktree at base; re-creating it"
		rm -rf "$LINUX_BASE"
	fi
	git_l worktree prune
	info "creating the unpatched worktree $LINUX_BASE"
	git_l worktree add -q --detach "$LINUX_BASE" base
}

if [[ -n $fresh && -e $LINUX ]]; then
	if [[ -d $LINUX/.git ]] && dev_tree && [[ -z $force ]]; then
		die "$LINUX is a development tree (it has commits beyond the applied series)" \
			"export it first with scripts/export.sh, or add --force to throw its commits away"
	fi
	info "removing $LINUX and $LINUX_BASE"
	rm -rf "$LINUX_BASE" "$LINUX"
fi

if [[ ! -d $LINUX/.git ]]; then
	[[ ! -e $LINUX ]] ||
		die "$LINUX exists but is not a git tree" "remove it or run: $0 --fresh"
	create_tree
	apply_series
else
	sync_tree
fi
ensure_base_worktree
