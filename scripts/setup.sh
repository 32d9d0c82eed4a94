#!/bin/bash
# Install what the workspace needs on Debian 12. Idempotent: does only
# what is missing, so it is cheap to run before every test run.
#
#   scripts/setup.sh
#
# As root it installs missing Debian packages (adding the i386
# architecture first); otherwise it prints the commands to run as root
# and exits 1. Then, as any user, it fetches the static i386 busybox
# into build/busybox-i386 and gitlab-ci-local into build/npm.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PACKAGES=(
	linux-source-6.12 qemu-system-x86 gcc-multilib libc6-dev-i386 sparse
	quilt ccache bc bison flex libelf-dev libssl-dev cpio xz-utils rsync
	kmod git make gcc python3 python3-docutils python3-ply python3-git nodejs npm perl
	iproute2 procps # ip and pgrep for the Launcher tests (tests/20)
	lib32z1-dev # static 32-bit zlib for the lguest launcher (tools/lguest)
	mmdebstrap e2fsprogs # the Debian guest image (scripts/mkdebian.sh)
	bzip2 lz4 lzop zstd # every bzImage compression (tests/62-lguest-bzimage.sh)
	clang lld llvm # LLVM=1 builds (scripts/build-kernel.sh --llvm)
)

installed() {
	[[ $(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null) == installed ]]
}

missing_packages() {
	local p
	for p in "${PACKAGES[@]}"; do
		case $p in
		# A Node.js from elsewhere (e.g. NodeSource's nodejs, which bundles
		# npm) is fine; Debian's npm package would conflict with it.
		nodejs) command -v node >/dev/null && continue ;;
		npm) command -v npm >/dev/null && continue ;;
		esac
		installed "$p" || printf '%s\n' "$p"
	done
}

has_i386() {
	[[ $(dpkg --print-architecture) == i386 ]] ||
		dpkg --print-foreign-architectures | grep -qx i386
}

install_packages() {
	local missing=("$@") need_arch=
	has_i386 || need_arch=1
	[[ ${#missing[@]} -gt 0 || -n $need_arch ]] || return 0
	if ! is_root; then
		{
			echo "$PROG: error: missing: ${missing[*]}${need_arch:+ (and the i386 architecture)}"
			echo "$PROG:        run as root:"
			[[ -z $need_arch ]] || echo "    dpkg --add-architecture i386"
			echo "    apt-get update"
			echo "    apt-get install -y --no-install-recommends ${missing[*]}"
			echo "$PROG:        or run this script as root."
		} >&2
		exit 1
	fi
	if [[ -n $need_arch ]]; then
		info "adding the i386 architecture"
		dpkg --add-architecture i386
	fi
	apt_update
	if [[ ${#missing[@]} -gt 0 ]]; then
		info "installing: ${missing[*]}"
		DEBIAN_FRONTEND=noninteractive apt-get install -y \
			--no-install-recommends "${missing[@]}" ||
			die "apt-get install failed for: ${missing[*]}" \
				"see apt's message above; fix the package source and rerun"
	fi
}

APT_UPDATED=
apt_update() {
	[[ -z $APT_UPDATED ]] || return 0
	APT_UPDATED=1
	info "apt-get update"
	# One index may fail (e.g. a mirror's size mismatch): go on with what
	# the other indexes give.
	apt-get update || warn "apt-get update failed; continuing with the package lists we have"
}

# The static i386 busybox for test initramfs images. It is unpacked into
# build/, not installed, so the host's busybox is left alone.
fetch_busybox() {
	[[ -x $BUSYBOX ]] && return 0
	local debs=$BUILD/debs deb
	mkdir -p "$debs"
	deb=$(find "$debs" -name 'busybox-static_*_i386.deb' | sort | tail -n 1)
	if [[ -z $deb ]]; then
		info "downloading busybox-static:i386"
		if ! (cd "$debs" && apt-get download busybox-static:i386); then
			is_root ||
				die "apt-get download busybox-static:i386 failed" \
					"the i386 package lists are probably missing: run scripts/setup.sh as root"
			apt_update
			(cd "$debs" && apt-get download busybox-static:i386) ||
				die "apt-get download busybox-static:i386 failed" \
					"check that the i386 architecture is enabled (dpkg --print-foreign-architectures)"
		fi
		deb=$(find "$debs" -name 'busybox-static_*_i386.deb' | sort | tail -n 1)
		[[ -n $deb ]] || die "busybox-static:i386 was downloaded but no .deb is in $debs"
	fi
	rm -rf "$BUILD/busybox-i386"
	dpkg-deb -x "$deb" "$BUILD/busybox-i386"
	[[ -x $BUSYBOX ]] || die "$deb has no bin/busybox" "remove $debs and rerun"
	info "busybox: $BUSYBOX ($(basename "$deb"))"
}

# gitlab-ci-local, to check .gitlab-ci.yml and run its jobs locally.
# It needs Node.js >= 18 (Debian 12 has 18.19).
fetch_gitlab_ci_local() {
	local pkg=$BUILD/npm/node_modules/gitlab-ci-local/package.json have=
	[[ -f $pkg ]] && have=$(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$pkg")
	[[ $have == "$GITLAB_CI_LOCAL_VERSION" && -x $GITLAB_CI_LOCAL ]] && return 0
	need_cmd npm
	local major
	major=$(node -p 'process.versions.node.split(".")[0]')
	[[ $major -ge 18 ]] ||
		die "gitlab-ci-local needs Node.js >= 18, this is $(node --version)" \
			"install a newer nodejs (Debian 12's nodejs is 18)"
	info "installing gitlab-ci-local@$GITLAB_CI_LOCAL_VERSION into $BUILD/npm"
	mkdir -p "$BUILD/npm"
	npm install --prefix "$BUILD/npm" --no-audit --no-fund --loglevel=error \
		"gitlab-ci-local@$GITLAB_CI_LOCAL_VERSION" ||
		die "npm install gitlab-ci-local@$GITLAB_CI_LOCAL_VERSION failed" \
			"check that the npm registry is reachable (npm ping) and rerun"
}

# The Launcher and its unit tests (test 20) are static i386 programs that
# run on the build machine. Some x86_64 kernels cannot run them (no IA32
# emulation, or it is off, or a sandbox without it): there, as root,
# register QEMU's user-mode emulator for i386 ELF programs with binfmt_misc
# ('F': the emulator is opened now, so it works in chroots and namespaces
# too). Nothing is done where i386 programs run natively.
BINFMT=/proc/sys/fs/binfmt_misc
BINFMT_NAME=lguest-i386
I386_MAGIC='\x7fELF\x01\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x03\x00'
I386_MASK='\xff\xff\xff\xff\xff\xfe\xfe\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff'

runs_i386() {
	local t rc=0
	t=$(mktemp -d)
	printf 'int main(void) { return 0; }\n' |
		gcc -m32 -static -x c -o "$t/true" - 2>/dev/null && "$t/true" 2>/dev/null || rc=1
	rm -rf "$t"
	return "$rc"
}

ensure_i386_programs() {
	runs_i386 && return 0
	is_root ||
		die "this machine cannot run i386 programs, which the tests need" \
			"run scripts/setup.sh as root: it registers qemu-i386-static with binfmt_misc"
	installed qemu-user-static || {
		apt_update
		info "installing: qemu-user-static (this kernel cannot run i386 programs)"
		DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
			qemu-user-static || die "apt-get install qemu-user-static failed"
	}
	[[ -e $BINFMT/register ]] || mount -t binfmt_misc binfmt_misc "$BINFMT" ||
		die "cannot mount binfmt_misc on $BINFMT" \
			"this kernel runs no i386 programs and has no binfmt_misc: use a machine with IA32 emulation"
	[[ -e $BINFMT/$BINFMT_NAME ]] ||
		printf ':%s:M::%s:%s:/usr/bin/qemu-i386-static:F\n' "$BINFMT_NAME" \
			"$I386_MAGIC" "$I386_MASK" >"$BINFMT/register"
	runs_i386 || die "i386 programs still do not run after registering qemu-i386-static" \
		"see $BINFMT/$BINFMT_NAME"
	info "i386 programs run through qemu-i386-static (binfmt_misc $BINFMT_NAME)"
}

mapfile -t missing < <(missing_packages)
install_packages "${missing[@]}"
ensure_i386_programs
fetch_busybox
fetch_gitlab_ci_local
info "setup complete"
