# shellcheck shell=bash
# shellcheck disable=SC2034 # the variables are used by the scripts that source this
# Common settings and helpers for the lguest workspace scripts.
# Source it from a script in scripts/ or tests/:
#   . "$(dirname "${BASH_SOURCE[0]}")/lib.sh"          (scripts/)
#   . "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh" (tests/)

# Top of the workspace: the directory holding scripts/, series, patches/.
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$TOP/build                # scratch area, ignored by git
LINUX=$BUILD/linux              # patched work tree (git, branch lguest)
LINUX_BASE=$BUILD/linux-base    # unpatched worktree of $LINUX at tag base
PATCHES=$TOP/patches
SERIES=$TOP/series
CONFIGS=$TOP/configs
TEST_LOGS=$BUILD/test-logs
BUSYBOX=$BUILD/busybox-i386/bin/busybox
LINUX_TARBALL=/usr/src/linux-source-6.12.tar.xz
LINUX_SRC_PKG=linux-source-6.12
GITLAB_CI_LOCAL_VERSION=4.56.0
GITLAB_CI_LOCAL=$BUILD/npm/node_modules/.bin/gitlab-ci-local
# Record of what apply.sh/export.sh last put in $LINUX (see apply.sh).
APPLIED_STATE=$LINUX/.git/lguest-applied

# One compiler cache for every build of the workspace. With the base
# directory set, ccache records paths below $BUILD relative to the build's
# output directory, so the cache stays valid if the workspace moves.
# It lives outside the workspace by default, so that a fresh clone (CI)
# builds with the cache that earlier runs on this machine filled.
export CCACHE_DIR=${CCACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/lguest-ccache}
export CCACHE_BASEDIR=$BUILD

JOBS=$(nproc)

PROG=${0##*/}

info() { printf '%s: %s\n' "$PROG" "$*" >&2; }
warn() { printf '%s: warning: %s\n' "$PROG" "$*" >&2; }
# die MESSAGE [DETAIL...]: print the message and the details (which may
# span several lines) as an error, then exit 1.
die() {
	local arg line prefix="$PROG: error: "
	for arg in "$@"; do
		while IFS= read -r line; do
			printf '%s%s\n' "$prefix" "$line" >&2
			prefix="$PROG:        "
		done <<<"$arg"
	done
	exit 1
}

is_root() { [[ $(id -u) -eq 0 ]]; }

# need_root WHAT: die unless running as root.
need_root() {
	is_root || die "$1 needs root" "run it as root, e.g.: sudo $0"
}

# need_cmd CMD [PACKAGE]: die naming the package to install if CMD is missing.
need_cmd() {
	command -v "$1" >/dev/null 2>&1 ||
		die "command '$1' not found" "install it: apt-get install ${2:-$1} (or run scripts/setup.sh as root)"
}

# need_tree DIR: die unless the kernel tree DIR has been created.
need_tree() {
	[[ -f $1/Makefile ]] ||
		die "kernel tree $1 does not exist" "create it with: scripts/apply.sh"
}

# series_patches: print the patch file names listed in $SERIES, one per
# line, without comments and blank lines.
series_patches() {
	[[ -f $SERIES ]] || return 0
	sed -e 's/#.*//' -e 's/[[:space:]]*$//' -e 's/^[[:space:]]*//' "$SERIES" |
		grep -v '^$' || true
}

# load_series: set SERIES_FILES to the paths of the patches listed in
# $SERIES, in order; die naming a listed file that does not exist.
load_series() {
	local p
	SERIES_FILES=()
	while read -r p; do
		[[ -f $PATCHES/$p ]] ||
			die "series lists '$p' but $PATCHES/$p does not exist" \
				"add the file or remove the line from $SERIES"
		SERIES_FILES+=("$PATCHES/$p")
	done < <(series_patches)
}

# need_series WHAT: load the series into SERIES_FILES and check that the
# work tree exists; with no patches there is nothing to WHAT: say so and
# exit 0.
need_series() {
	load_series
	if [[ ${#SERIES_FILES[@]} -eq 0 ]]; then
		info "the series is empty: nothing to $1"
		exit 0
	fi
	need_tree "$LINUX"
}

# series_sum: sha256 of the concatenated patch files, in series order.
series_sum() {
	load_series
	cat -- "${SERIES_FILES[@]}" </dev/null | sha256sum | cut -d' ' -f1
}

# state_get KEY: read a value from $APPLIED_STATE ("" if absent).
state_get() {
	[[ -f $APPLIED_STATE ]] || return 0
	sed -n "s/^$1 //p" "$APPLIED_STATE"
}

# state_set SUM HEAD: record the applied series and the resulting HEAD.
state_set() {
	printf 'series-sha256 %s\nhead %s\n' "$1" "$2" >"$APPLIED_STATE"
}

# variant_tree VARIANT: the source tree a build variant uses.
variant_tree() {
	case $1 in
	nopae | pae) printf '%s\n' "$LINUX" ;;
	base-nopae | base-pae) printf '%s\n' "$LINUX_BASE" ;;
	*) die "unknown variant '$1'" "use one of: nopae pae base-nopae base-pae" ;;
	esac
}
