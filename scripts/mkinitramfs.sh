#!/bin/bash
# Build a test initramfs: a gzip'd newc cpio with the static i386 busybox.
#
#   scripts/mkinitramfs.sh -o OUT.cpio.gz -i INIT [-f SRC=DEST]...
#
# -o OUT       the archive to write
# -i INIT      a busybox sh script, stored as /etc/test-init; it may
#              source /etc/test-lib.sh (tests/guest/lib.sh: result,
#              cmdline_opt)
# -f SRC=DEST  also store host file SRC as DEST (mode kept; parent
#              directories are created); may be repeated
#
# The archive's /init mounts proc, sysfs, devtmpfs and a tmpfs on /tmp,
# runs `busybox --install -s`, then runs /etc/test-init with sh. When that
# returns, /init reports its status and calls `reboot -f` (QEMU, run with
# -no-reboot, then exits). The archive is made with the kernel's
# usr/gen_init_cpio (no root or fakeroot needed; device nodes included)
# with fixed timestamps, so the same inputs give the same bytes.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() { sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; }

output='' init='' extra=()
while getopts ':o:i:f:h' opt; do
	case $opt in
	o) output=$OPTARG ;;
	i) init=$OPTARG ;;
	f) extra+=("$OPTARG") ;;
	h) usage; exit 0 ;;
	*) die "bad option -$OPTARG" "usage: $0 -o OUT.cpio.gz -i INIT [-f SRC=DEST]..." ;;
	esac
done
shift $((OPTIND - 1))
[[ $# -eq 0 ]] || die "unexpected argument '$1'" "usage: $0 -o OUT.cpio.gz -i INIT [-f SRC=DEST]..."
[[ -n $output && -n $init ]] || die "-o and -i are required" "usage: $0 -o OUT.cpio.gz -i INIT [-f SRC=DEST]..."
[[ -f $init ]] || die "init script $init not found"
[[ -x $BUSYBOX ]] || die "static i386 busybox $BUSYBOX not found" "fetch it with: scripts/setup.sh"

# gen_init_cpio is a single C file of the kernel; build it once from
# whichever tree is there (the base tree is the stable choice).
gen_init_cpio() {
	local bin=$BUILD/host/gen_init_cpio src=
	for t in "$LINUX_BASE" "$LINUX"; do
		if [[ -f $t/usr/gen_init_cpio.c ]]; then src=$t/usr/gen_init_cpio.c; break; fi
	done
	if [[ -z $src ]]; then
		[[ -x $bin ]] && { printf '%s\n' "$bin"; return; }
		die "no kernel tree to build usr/gen_init_cpio from" "create one with: scripts/apply.sh"
	fi
	if [[ ! -x $bin || $src -nt $bin ]]; then
		mkdir -p "${bin%/*}"
		gcc -O2 -o "$bin.tmp" "$src" >&2 || die "could not compile $src"
		mv "$bin.tmp" "$bin"
	fi
	printf '%s\n' "$bin"
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cat >"$tmp/init" <<'EOF'
#!/bin/busybox sh
# Made by scripts/mkinitramfs.sh: common prelude, then /etc/test-init.
/bin/busybox mount -t proc proc /proc
/bin/busybox --install -s
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
sh /etc/test-init
echo "init: /etc/test-init exited with status $?"
reboot -f
EOF

declare -A have_dir=()
spec=$tmp/spec
add_dir() {
	[[ -n ${have_dir[$1]:-} || $1 == / ]] && return 0
	add_dir "$(dirname "$1")"
	have_dir[$1]=1
	echo "dir $1 0755 0 0" >>"$spec"
}
add_file() { # add_file DEST SRC
	[[ $1 == /* ]] || die "destination '$1' must be an absolute path"
	[[ $1$2 != *[[:space:]]* ]] || die "'$2=$1': paths with white space are not supported"
	[[ -f $2 ]] || die "file $2 not found"
	add_dir "$(dirname "$1")"
	echo "file $1 $(realpath "$2") $(stat -c %a "$2") 0 0" >>"$spec"
}

: >"$spec"
for d in /bin /sbin /usr/bin /usr/sbin /proc /sys /dev /tmp /etc /root /run; do
	add_dir "$d"
done
{
	echo "nod /dev/console 0600 0 0 c 5 1"
	echo "nod /dev/null 0666 0 0 c 1 3"
} >>"$spec"
add_file /bin/busybox "$BUSYBOX"
chmod 0755 "$tmp/init"
add_file /init "$tmp/init"
add_file /etc/test-init "$init"
add_file /etc/test-lib.sh "$TOP/tests/guest/lib.sh"
for e in "${extra[@]}"; do
	[[ $e == *=* ]] || die "-f '$e' is not SRC=DEST"
	add_file "${e#*=}" "${e%%=*}"
done

gen=$(gen_init_cpio)
mkdir -p "$(dirname "$output")"
"$gen" -t "${SOURCE_DATE_EPOCH:-0}" "$spec" | gzip -n -9 >"$tmp/out.cpio.gz"
mv "$tmp/out.cpio.gz" "$output"
