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
TEST_LOGS=${TEST_LOGS:-$BUILD/test-logs}
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

# Debian guest images (scripts/mkdebian.sh), kept between runs and clones
# as the compiler cache is: building one downloads some 100 MB.
DEBIAN_CACHE=${DEBIAN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/lguest-debian}

JOBS=$(nproc)

PROG=${0##*/}

info() { printf '%s: %s\n' "$PROG" "$*" >&2; }
# usage [STATUS]: print the script's header from its "# usage:" line on
# to stderr, and exit with STATUS (default 2). Scripts whose help is laid
# out otherwise define their own.
usage() {
	sed -n '/^# usage:/,/^set -euo/s/^# \{0,1\}//p' "$0" >&2
	exit "${1:-2}"
}
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

# build_launcher LOGDIR: export the work tree's uapi headers into
# build/out-hdr (no .config needed; incremental, so cheap when nothing
# changed: the Launcher's ABI header exists only in the lguest tree) and
# build tools/lguest/lguest against them, logs in LOGDIR.
build_launcher() {
	local log=$1 khdr=$BUILD/out-hdr/usr/include
	need_tree "$LINUX"
	need_cmd gcc gcc-multilib
	need_cmd make
	mkdir -p "$log"
	echo "=== headers_install ($LINUX -> $BUILD/out-hdr)"
	make -s -C "$LINUX" O="$BUILD/out-hdr" ARCH=i386 headers_install >"$log/headers.log" 2>&1 ||
		die "headers_install failed in $LINUX" "see $log/headers.log"
	[[ -f $khdr/linux/lguest_launcher.h ]] ||
		die "$LINUX has no include/uapi/linux/lguest_launcher.h" \
			"the series must add the lguest ABI header; scripts/apply.sh brings the tree in line"
	echo "=== build tools/lguest"
	make -s -C "$TOP/tools/lguest" KHDR="$khdr" >"$log/launcher.log" 2>&1 ||
		die "tools/lguest does not build" "see $log/launcher.log"
}

# lguest_host_runs LOGDIR HOST_INIT GUEST_CPIO [-f SRC=DEST]... -- [--out DIR]
#     [VARIANT...]: for each variant (default nopae pae) build the kernel
# (or, with --out, take the one built in DIR), make its host initramfs
# (mk_host_initramfs, with the -f files) and boot it under QEMU as an
# lguest host with 2 CPUs and 1 GB, console in LOGDIR/VARIANT.log. Prints
# a PASS or FAIL line per variant; returns 1 if any failed. Each host gets
# $LGUEST_HOST_TIMEOUT seconds (default 1500), then it counts as hung;
# $LGUEST_HOST_CPU is QEMU's -cpu for it (default: qemu-run.sh's), and
# $LGUEST_HOST_APPEND more of its kernel command line. The
# variants named in $LGUEST_AMD_HOSTS (e.g. "nopae") boot instead as an AMD
# family 16 CPU under qemu-system-x86_64, whose TCG, unlike
# qemu-system-i386's, runs the legacy-mode syscall instruction that an AMD
# CPU with EFER.SCE runs (family 16, as family 6 makes Linux warn that
# the AMD CPUs are not fit for SMP). The variants named in
# $LGUEST_TSC_HOSTS boot with tsc_early_khz=2000000: under TCG the host
# cannot calibrate its TSC and marks it unstable, and then gives its guests
# no TSC; with a frequency given it keeps the TSC and so do they (their
# clocksource and the timer deadline on the TSC instead of clock_ns).
# $LGUEST_HOST_DISK, if set, is a disk image QEMU gives the host as a
# virtio disk (/dev/vda there), in snapshot mode: the file is never written.
lguest_host_runs() {
	local logs=$1 init=$2 guest=$3 files=() kout='' variants v k rc status=0
	local qemu cpu append
	shift 3
	while [[ $# -gt 0 && $1 != -- ]]; do
		files+=("$1")
		shift
	done
	[[ $# -eq 0 ]] || shift
	if [[ ${1:-} == --out ]]; then
		kout=$(cd "${2:?--out needs a directory}" && pwd)
		shift 2
	fi
	variants=("$@")
	[[ ${#variants[@]} -gt 0 ]] || variants=(nopae pae)
	for v in "${variants[@]}"; do
		k=${kout:-$BUILD/out-$v}
		if [[ -z $kout ]]; then
			echo "=== $v: build"
			"$TOP/scripts/build-kernel.sh" "$v"
		fi
		mk_host_initramfs "$logs/host-$v.cpio.gz" "$k" "$init" "$guest" "${files[@]}"
		echo "=== $v: lguest host with 2 CPUs and 1 GB"
		rc=0
		qemu=${QEMU_SYSTEM:-} cpu=${LGUEST_HOST_CPU:-}
		if [[ " ${LGUEST_AMD_HOSTS:-} " == *" $v "* ]]; then
			qemu='qemu-system-x86_64'
			cpu=max,vendor=AuthenticAMD,family=16,model=2
		fi
		append=${LGUEST_HOST_APPEND:-}
		if [[ " ${LGUEST_TSC_HOSTS:-} " == *" $v "* ]]; then
			append+="${append:+ }tsc_early_khz=2000000"
		fi
		QEMU_SYSTEM=$qemu "$TOP/scripts/qemu-run.sh" \
			--kernel "$k/arch/x86/boot/bzImage" ${cpu:+--cpu "$cpu"} \
			--initrd "$logs/host-$v.cpio.gz" --log "$logs/$v.log" --smp 2 \
			--mem 1024 --timeout "${LGUEST_HOST_TIMEOUT:-1500}" \
			${append:+--append "$append"} \
			${LGUEST_HOST_DISK:+--qemu-arg -drive --qemu-arg \
				"file=$LGUEST_HOST_DISK,format=raw,if=virtio,snapshot=on"} || rc=$?
		if [[ $rc -eq 0 ]]; then
			echo "=== $v: PASS"
		else
			echo "=== $v: FAIL (qemu-run.sh exit $rc, console in $logs/$v.log)"
			status=1
		fi
	done
	return "$status"
}

# mk_selftests_cpio OUT [--64]: build the static 32-bit x86 selftests
# (scripts/build-selftests.sh; with --64 the 64-bit ones too, for an
# x86_64 kernel) and make an initramfs OUT that runs them all
# (tests/guest/run-selftests.sh as its init, the programs in /selftests).
mk_selftests_cpio() {
	local out=$1 st f files=()
	st=$("$TOP/scripts/build-selftests.sh" | tail -n 1)
	for f in "$st"/*_32; do
		[[ -f $f ]] && files+=(-f "$f=/selftests/${f##*/}")
	done
	if [[ ${2:-} == --64 ]]; then
		st=$("$TOP/scripts/build-selftests.sh" --64 | tail -n 1)
		for f in "$st"/*_64; do
			[[ -f $f ]] && files+=(-f "$f=/selftests/${f##*/}")
		done
	fi
	[[ ${#files[@]} -gt 0 ]] ||
		die "no selftest programs in $st" "run scripts/build-selftests.sh and read its log"
	"$TOP/scripts/mkinitramfs.sh" -o "$out" -i "$TOP/tests/guest/run-selftests.sh" \
		"${files[@]}" >"$out.log" 2>&1 ||
		die "the selftest initramfs was not made" "see $out.log"
}

# The series adds tools/lguest to the kernel tree in a few patches, one
# per part of the Launcher. Their source of truth is this workspace's
# tools/lguest (the files git tracks there) and scripts/launcher/: its
# file `steps` lists the patches in order, each a message file of that
# directory and the files it adds to those of the patches before it.
# scripts/export.sh makes them, tests/00-series-applies.sh checks that
# the series has them, tests/20-launcher-unit.sh that each prefix builds
# and passes its unit tests.
LAUNCHER_DIR=$TOP/scripts/launcher

# launcher_steps: the steps, one "MESSAGE-FILE: FILE..." line each.
launcher_steps() { grep -v '^#' "$LAUNCHER_DIR/steps" | grep -v '^[[:space:]]*$'; }

# launcher_subjects: the subjects of the Launcher's patches, in order.
launcher_subjects() {
	local msg
	while IFS=: read -r msg _; do
		head -n 1 "$LAUNCHER_DIR/$msg"
	done < <(launcher_steps)
}

# launcher_files K: the files (tools/lguest/...) of the tree after the
# K-th patch (from 1), one per line.
launcher_files() {
	local k=$1 n=0 files f
	while IFS=: read -r _ files; do
		n=$((n + 1))
		[[ $n -le $k ]] || break
		for f in $files; do
			printf 'tools/lguest/%s\n' "$f"
		done
	done < <(launcher_steps)
}

# launcher_check_steps: fail (status 1, with a message) unless every file
# git tracks under tools/lguest is in exactly one step and every file a
# step names is tracked.
launcher_check_steps() {
	local n bad
	n=$(launcher_steps | wc -l)
	bad=$(comm -3 <(launcher_files "$n" | sort) \
		<(git -C "$TOP" ls-files tools/lguest | sort))
	if [[ -n $bad ]]; then
		echo "scripts/launcher/steps and tools/lguest disagree (left: only in steps; right: only tracked):"
		printf '%s\n' "$bad" | sed 's/^/      /'
		return 1
	fi
	if [[ -n $(launcher_files "$n" | sort | uniq -d) ]]; then
		echo "scripts/launcher/steps names a file twice:"
		launcher_files "$n" | sort | uniq -d | sed 's/^/      /'
		return 1
	fi
}

# launcher_commit REPO PARENT K: make (in the kernel git repository REPO)
# the K-th Launcher commit on top of PARENT and print its hash. Its author
# comes from the message's Signed-off-by and both dates from PARENT's
# author date, so the same inputs always give the same commit (and
# committing tools/lguest here does not change the patch's Date).
launcher_commit() {
	local repo=$1 parent=$2 k=$3 f mode idx who name email date msg
	msg=$LAUNCHER_DIR/$(launcher_steps | sed -n "${k}s/:.*//p")
	idx=$(mktemp)
	GIT_INDEX_FILE=$idx git -C "$repo" read-tree "$parent"
	GIT_INDEX_FILE=$idx git -C "$repo" rm -r -q --cached --ignore-unmatch tools/lguest
	while IFS= read -r f; do
		mode=100644
		[[ ! -x $TOP/$f ]] || mode=100755
		GIT_INDEX_FILE=$idx git -C "$repo" update-index --add --cacheinfo \
			"$mode,$(git -C "$repo" hash-object -w "$TOP/$f"),$f"
	done < <(launcher_files "$k")
	who=$(sed -n 's/^Signed-off-by: //p' "$msg" | head -n 1)
	name=${who% <*} email=${who##*<}
	email=${email%>}
	date=$(git -C "$repo" log -1 --format=%aD "$parent")
	GIT_AUTHOR_NAME=$name GIT_AUTHOR_EMAIL=$email GIT_AUTHOR_DATE=$date \
		GIT_COMMITTER_NAME=$name GIT_COMMITTER_EMAIL=$email GIT_COMMITTER_DATE=$date \
		git -C "$repo" commit-tree -p "$parent" -F "$msg" \
		"$(GIT_INDEX_FILE=$idx git -C "$repo" write-tree)"
	rm -f "$idx"
}

# launcher_chain REPO PARENT: make every Launcher commit, the first on
# PARENT, and print their hashes, one per line, in order.
launcher_chain() {
	local repo=$1 parent=$2 k n
	n=$(launcher_steps | wc -l)
	for ((k = 1; k <= n; k++)); do
		parent=$(launcher_commit "$repo" "$parent" "$k") || return 1
		echo "$parent"
	done
}

# launcher_found REPO: the commits of base..HEAD in REPO whose subject is
# one of the Launcher's, oldest first, one per line.
launcher_found() {
	git -C "$1" log --reverse --format='%H %s' base..HEAD |
		awk 'NR == FNR { s[$0] = 1; next } (substr($0, 42) in s) { print $1 }' \
			<(launcher_subjects) -
}

# mk_host_initramfs OUT KOUT INIT GUEST_CPIO [-f SRC=DEST]...: the
# initramfs of an lguest host booted under QEMU: INIT as its test-init,
# the Launcher as /lguest, the kernel built in KOUT as /guest-bzImage (one
# kernel is host and guest), GUEST_CPIO as /guest.cpio.gz, KOUT's lg.ko as
# /lg.ko when the host is a module (INIT loads it), and any more files.
# $LGUEST_GUEST_KOUT, if set, is where the guests' kernel was built
# instead (the debug host runs the plain pae kernel as its guests, which
# a debug kernel would make many times slower).
mk_host_initramfs() {
	local out=$1 kout=$2 init=$3 guest=$4 files
	shift 4
	files=("$@" -f "$TOP/tools/lguest/lguest=/lguest"
		-f "${LGUEST_GUEST_KOUT:-$kout}/arch/x86/boot/bzImage=/guest-bzImage"
		-f "$guest=/guest.cpio.gz")
	if grep -qx 'CONFIG_LGUEST=m' "$kout/.config"; then
		files+=(-f "$kout/drivers/lguest/lg.ko=/lg.ko")
	elif ! grep -qx 'CONFIG_LGUEST=y' "$kout/.config"; then
		die "$kout/.config has no CONFIG_LGUEST: it cannot be an lguest host" \
			"build it with configs/lguest.config (scripts/build-kernel.sh)"
	fi
	"$TOP/scripts/mkinitramfs.sh" -o "$out" -i "$init" "${files[@]}"
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
	nopae | pae | debug | x86_64) printf '%s\n' "$LINUX" ;;
	base-nopae | base-pae | base-x86_64) printf '%s\n' "$LINUX_BASE" ;;
	*) die "unknown variant '$1'" "use one of: nopae pae debug x86_64 base-nopae base-pae base-x86_64" ;;
	esac
}

# host_run_opts DEFAULT_ROUNDS ARGS...: parse "[--no-build] [--rounds N]
# [nopae|pae]" for the scripts that boot an lguest host N times (the
# caller defines usage()); sets VARIANT, ROUNDS and KOUT, the kernel's
# build directory, built first unless --no-build.
host_run_opts() {
	local build=1
	VARIANT=nopae ROUNDS=$1
	shift
	while [[ $# -gt 0 ]]; do
		case $1 in
		nopae | pae) VARIANT=$1 ;;
		--no-build) build= ;;
		--rounds) ROUNDS=${2:?--rounds needs a number}; shift ;;
		-h | --help) usage 0 ;;
		*) usage ;;
		esac
		shift
	done
	[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] ||
		die "--rounds $ROUNDS: not a positive number" "e.g. --rounds 3"
	[[ -z $build ]] || "$TOP/scripts/build-kernel.sh" "$VARIANT"
	KOUT=$BUILD/out-$VARIANT
	[[ -f $KOUT/arch/x86/boot/bzImage ]] ||
		die "no kernel in $KOUT" "build it: scripts/build-kernel.sh $VARIANT (or drop --no-build)"
}

# build_abi_selftest OUT: the /dev/lguest ABI kselftest of the work tree
# (tools/testing/selftests/lguest, added by the series), static, into
# OUT/launcher_abi, against the headers build_launcher exported.
build_abi_selftest() {
	echo "=== kselftest lguest (tools/testing/selftests/lguest)"
	make -s -C "$LINUX/tools/testing/selftests/lguest" OUTPUT="$1" \
		KHDR_INCLUDES="-isystem $BUILD/out-hdr/usr/include" LDFLAGS=-static ||
		die "the lguest kselftest does not build"
	[[ -x $1/launcher_abi ]] || die "no $1/launcher_abi" \
		"tools/testing/selftests/lguest/Makefile builds it only where gcc -m32 works"
}

# build_smoke OUT: the guest smoke suite, tests/guest/smoke.c, as OUT/smoke.
build_smoke() {
	echo "=== smoke suite (tests/guest/smoke.c)"
	gcc -m32 -static -O2 -msse2 -Wall -Wextra -Wno-unused-parameter \
		-o "$1/smoke" "$TOP/tests/guest/smoke.c"
}
