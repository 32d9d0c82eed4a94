#!/bin/bash
# The lguest Launcher (tools/lguest) builds as a static 32-bit program
# against the work tree's exported headers, its unit tests pass (kernel
# loading on the real nopae vmlinux and bzImage, the instruction decoder,
# port I/O, virtio-mmio and virtqueues on fake guest memory, including
# hostile rings and drivers, the console's bounded work per kick,
# virtio-blk on a temporary file, virtio-rng, virtio-net on a socket pair
# and, in a network namespace of its own, on a real tap, dropping
# privileges, option parsing), and the program itself exits with
# the documented status and message on usage and setup errors (bad
# --block, --tunnet, --username, --chroot values included, and, run as
# nobody, an RLIMIT_MEMLOCK below the guest's memory).  Then the
# whole program runs against a scripted fake host (tests/lguest-fake, see
# tools/lguest/tests/fake_lgdev.c): early console, a virtio console probe
# with MMIO instructions, output and input, power off, death, restart
# (also after --username and --chroot), signals, SIGKILL, ABI mismatches,
# taps set up on the host side, and three Ctrl-C on a terminal.  No host
# (/dev/lguest) is needed.
#
# usage: tests/20-launcher-unit.sh
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"

SRC=$TOP/tools/lguest
KHDR=$BUILD/out-hdr/usr/include
VARIANT=nopae
VMLINUX=$BUILD/out-$VARIANT/vmlinux
BZIMAGE=$BUILD/out-$VARIANT/arch/x86/boot/bzImage
LOG=$TEST_LOGS/launcher-unit
mkdir -p "$LOG"

need_cmd gcc gcc-multilib
need_cmd make
need_cmd readelf binutils
can_link() {
	printf 'int main(void) { return 0; }\n' |
		gcc -m32 -static -x c -o /dev/null - -lz 2>/dev/null
}
can_link ||
	die "gcc cannot link static 32-bit programs with zlib" \
		"install them: apt-get install gcc-multilib libc6-dev-i386 lib32z1-dev (scripts/setup.sh does)"
# Privilege drop, mount and network namespaces, taps and a bridge: root.
is_root || die "tests/20-launcher-unit.sh needs root" "run it as root (scripts/test.sh is)"
need_cmd ip iproute2
need_cmd pgrep procps
need_cmd setpriv util-linux
need_cmd python3 python3
unshare -m -n true ||
	die "cannot make mount and network namespaces (unshare -m -n)" \
		"run it as root on a kernel with namespaces, outside a restricted container"

build_launcher "$LOG"

# The loader tests use a real kernel; build it if no other test has.
if [[ ! -f $VMLINUX || ! -f $BZIMAGE ]]; then
	echo "=== building the $VARIANT kernel for the loader tests"
	"$TOP/scripts/build-kernel.sh" "$VARIANT"
fi

echo "=== build"
make -s -C "$SRC" KHDR="$KHDR" clean
make -C "$SRC" KHDR="$KHDR" all tests

echo "=== unit tests"
status=0
"$SRC/tests/unit" --vmlinux="$VMLINUX" --bzimage="$BZIMAGE" | tee "$LOG/unit.log" ||
	status=1
# With both kernel files given, nothing may be skipped.
tail -n 1 "$LOG/unit.log" | grep -q ', 0 skipped$' || {
	echo "FAIL unit tests: $(tail -n 1 "$LOG/unit.log")"
	status=1
}

# Each of the Launcher's patches (scripts/launcher/steps) builds on its
# own, with the patches before it, and passes the unit tests it has then.
echo "=== the Launcher's patches, one by one"
launcher_check_steps || status=1
nsteps=$(launcher_steps | wc -l)
for ((k = 1; k <= nsteps; k++)); do
	step=$LOG/step-$k
	rm -rf "$step"
	while IFS= read -r f; do
		mkdir -p "$step/$(dirname "$f")"
		cp -p "$TOP/$f" "$step/$f"
	done < <(launcher_files "$k")
	if make -s -C "$step/tools/lguest" KHDR="$KHDR" all tests >"$step.log" 2>&1 &&
		"$step/tools/lguest/tests/unit" --vmlinux="$VMLINUX" \
			--bzimage="$BZIMAGE" >>"$step.log" 2>&1; then
		echo "patch $k/$nsteps ($(launcher_steps | sed -n "${k}s/:.*//p")): $(tail -n 1 "$step.log")"
	else
		echo "FAIL patch $k/$nsteps: the Launcher does not build or pass its unit tests with the patches up to it (see $step.log)"
		status=1
	fi
done

echo "=== the program"
L=$SRC/lguest
passed=0 failed=0
result() {
	if [[ $1 == ok ]]; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		echo "FAIL $2"
	fi
}

# expect STATUS TEXT ARGS...: lguest ARGS exits with STATUS and prints
# TEXT (a fixed string) on stderr, or on stdout for --help.
# With via=(COMMAND...) set, the Launcher runs through COMMAND (which
# ends in exec "$@").
via=()
expect() {
	local want=$1 text=$2 rc=0
	shift 2
	"${via[@]}" "$L" "$@" </dev/null >"$LOG/out" 2>"$LOG/err" || rc=$?
	if [[ $rc -ne $want ]]; then
		result fail "lguest $*: exit $rc, want $want ($(head -c 300 "$LOG/err"))"
	elif ! grep -qF -- "$text" "$LOG/out" "$LOG/err"; then
		result fail "lguest $*: no \"$text\" in: $(head -c 300 "$LOG/out" "$LOG/err")"
	else
		result ok
	fi
}

if readelf -h "$L" | grep -q 'Class:[[:space:]]*ELF32' &&
	readelf -h "$L" | grep -q 'Machine:[[:space:]]*Intel 80386'; then
	result ok
else
	result fail "$L is not a 32-bit i386 program"
fi
if readelf -l "$L" | grep -q INTERP; then
	result fail "$L is not static"
else
	result ok
fi

expect 0 "Exit status" --help
expect 0 "three times within one" -h
expect 1 "missing MEM_MB and KERNEL"
expect 1 "missing KERNEL" 64
expect 1 "at least 32 MiB" 16 "$VMLINUX"
expect 1 "at most 2048 MiB" 4096 "$VMLINUX"
expect 1 "is not a number" 64M "$VMLINUX"
expect 1 "unknown option '--bogus'" --bogus 64 "$VMLINUX"
expect 1 "'--initrd' needs an argument" --initrd
expect 1 "cannot open kernel /nonexistent" 64 /nonexistent
expect 1 "is a 64-bit ELF file" 64 /bin/ls
expect 1 "neither a bzImage nor an ELF vmlinux" 64 /etc/passwd
expect 1 "cannot open initrd /nonexistent" --initrd=/nonexistent 64 "$VMLINUX"
expect 0 "--tunnet=bridge:BR" --help
expect 1 "cannot open block file /nonexistent: No such file or directory (check the path; make a disk image with e.g. truncate -s 64M /nonexistent)" \
	--block=/nonexistent 64 "$VMLINUX"
printf 'odd' >"$LOG/odd.img"
expect 1 "block file $LOG/odd.img is 3 bytes, not a whole number of 512-byte sectors" \
	--block="$LOG/odd.img" 64 "$VMLINUX"
expect 1 "--block needs a file name" --block= 64 "$VMLINUX"
expect 1 "option '--rng' takes no argument" --rng=yes 64 "$VMLINUX"
expect 1 "--tunnet=300.1.1.1: '300.1.1.1' is not an IPv4 address" --tunnet=300.1.1.1 64 "$VMLINUX"
expect 1 "--tunnet=bridge: needs a bridge name" --tunnet=bridge: 64 "$VMLINUX"
expect 1 "bridge lgnosuchbr0 does not exist: create it first (ip link add lgnosuchbr0 type bridge; ip link set lgnosuchbr0 up)" \
	--tunnet=bridge:lgnosuchbr0 64 "$VMLINUX"
expect 1 "unknown user 'lgnosuchuser': not in /etc/passwd (give an existing user, or a numeric UID[:GID])" \
	--username=lgnosuchuser 64 "$VMLINUX"
expect 1 "cannot use --chroot=/nonexistent: No such file or directory (create the directory first)" \
	--chroot=/nonexistent 64 "$VMLINUX"
expect 1 "--chroot=/etc/passwd is not a directory" --chroot=/etc/passwd 64 "$VMLINUX"
# Not root, and RLIMIT_MEMLOCK below the guest's memory, which the host
# pins (a copy of the Launcher that nobody may run)
nobody_dir=$(mktemp -d)
chmod 755 "$nobody_dir"
cp "$L" "$nobody_dir/lguest"
launcher=$L L=$nobody_dir/lguest
via=(sh -c 'ulimit -l 8192 && exec setpriv --reuid=65534 --regid=65534 --clear-groups "$@"' sh)
expect 1 "RLIMIT_MEMLOCK is 8192 kB (hard limit 8192 kB), less than the 64 MB of guest memory the host may pin: raise the hard limit (ulimit -l 65536 as root, or memlock in /etc/security/limits.conf) or give the Launcher CAP_IPC_LOCK" \
	64 "$VMLINUX"
L=$launcher via=()
rm -rf "$nobody_dir"
# Without /dev/net/tun (a mount namespace hides it)
via=(unshare -m sh -c 'mount -t tmpfs none /dev/net && exec "$@"' sh)
expect 1 "cannot open /dev/net/tun for --tunnet: No such file or directory (is the tun module loaded? try: modprobe tun)" \
	--tunnet=192.168.19.1 64 "$VMLINUX"
via=()
if [[ ! -e /dev/lguest ]]; then
	# Everything up to the host works: the kernel loaded.
	expect 1 "cannot open /dev/lguest: No such file or directory (is the lg module loaded? try: modprobe lg)" \
		64 "$VMLINUX" root=/dev/vda
	expect 1 "command line: root=/dev/vda console=hvc0 earlyprintk=serial,ttyS0,115200 virtio_mmio.device=4K@0x4000000:1" \
		--verbose 64 "$VMLINUX" root=/dev/vda
	expect 1 "cannot open /dev/lguest" 64 "$BZIMAGE"
else
	echo "(/dev/lguest exists: not running the program past setup here)"
fi

echo "=== the program with a fake host"
FAKE=$SRC/tests/lguest-fake
# fake SCENARIO STATUS STDIN ARGS...: run lguest-fake; its status must be
# STATUS, and the fake host must not have complained.  Its output goes to
# $LOG/NAME.out and .err, NAME being SCENARIO unless $name says otherwise.
fake() {
	local scenario=$1 want=$2 input=$3 rc=0 n=${name:-$1}
	shift 3
	printf '%s' "$input" | LGUEST_FAKE=$scenario "$FAKE" "$@" \
		>"$LOG/$n.out" 2>"$LOG/$n.err" || rc=$?
	if [[ $rc -ne $want ]]; then
		result fail "fake $n: exit $rc, want $want: $(cat "$LOG/$n.err")"
	elif grep -q 'fake: FAIL' "$LOG/$n.err"; then
		result fail "fake $n: $(grep 'fake: FAIL' "$LOG/$n.err")"
	else
		result ok
	fi
}
# has NAME out|err TEXT: the run's output has TEXT
has() {
	if grep -qF -- "$3" "$LOG/$1.$2"; then
		result ok
	else
		result fail "fake $1: no \"$3\" in its std$2: $(head -c 500 "$LOG/$1.$2")"
	fi
}

fake poweroff 0 "" 64 "$VMLINUX"
has poweroff out "ok"
has poweroff err "INITIALIZE mem_pages=16384 start=0x1000000 mmio_pages=16385"
fake console 0 "abc" 64 "$VMLINUX"
has console out "hello from hvc0"
has console out "bye"
has console err "fake: received 'abc' in 1 buffers"
has console err "fake: trap 13"
fake died 2 "" 64 "$VMLINUX"
has died err "lguest: guest died: Kernel panic - not syncing: test"
fake restart 0 "" 64 "$VMLINUX"
has restart out "restarted"
fake signal 2 "" 64 "$VMLINUX"
has signal err "lguest: stopped by signal 15"
fake badreason 3 "" 64 "$VMLINUX"
has badreason err "unknown pending reason 99"
fake short 3 "" 64 "$VMLINUX"
has short err "rebuild the Launcher against the running kernel's"

# Devices: one page and one interrupt line each, on the command line
truncate -s 1M "$LOG/disk.img"
name=devices fake poweroff 0 "" --verbose --block="$LOG/disk.img" --rng 64 "$VMLINUX"
has devices err "INITIALIZE mem_pages=16384 start=0x1000000 mmio_pages=16387"
has devices err "virtio_mmio.device=4K@0x4000000:1 virtio_mmio.device=4K@0x4001000:2 virtio_mmio.device=4K@0x4002000:3"
has devices err "vda: $LOG/disk.img, 2048 sectors"

# A disk on a read-only file system: read-only, and --verbose says so
mkdir -p "$LOG/ro"
rc=0
# shellcheck disable=SC2016 # a script of its own, with its arguments
LGUEST_FAKE=poweroff unshare -m sh -c 'mount -t tmpfs -o size=2m none "$1" &&
	cp "$2" "$1/ro.img" && mount -o remount,ro "$1" && shift 2 && exec "$@"' \
	sh "$LOG/ro" "$LOG/disk.img" "$FAKE" --verbose --block="$LOG/ro/ro.img" \
	64 "$VMLINUX" </dev/null >"$LOG/ro.out" 2>"$LOG/ro.err" || rc=$?
if [[ $rc -eq 0 ]]; then
	result ok
else
	result fail "read-only disk: exit $rc: $(cat "$LOG/ro.err")"
fi
has ro err "block file $LOG/ro/ro.img cannot be written (Read-only file system): the guest gets a read-only disk"
has ro err "vda: $LOG/ro/ro.img, 2048 sectors, read-only"

# Privileges dropped, and a reboot after that (as root only)
jail=$LOG/jail
mkdir -p "$jail"
: >"$jail/lguest-fake-jail"
name=priv-restart fake restart 0 "" --block="$LOG/disk.img" --username=65534:65534 \
	--chroot="$jail" 64 "$VMLINUX"
has priv-restart out "restarted"
if [[ $(grep -c 'fake: run as uid 65534 gid 65534 in the jail' "$LOG/priv-restart.err") -eq 2 ]]; then
	result ok
else
	result fail "fake priv-restart: not twice in the jail as 65534: $(cat "$LOG/priv-restart.err")"
fi
if [[ $(grep -c 'fake: the helper answers: ' "$LOG/priv-restart.err") -eq 2 ]]; then
	result ok
else
	result fail "fake priv-restart: the helper did not answer twice: $(cat "$LOG/priv-restart.err")"
fi
if getent passwd nobody >/dev/null; then
	name=priv-name fake poweroff 0 "" --username=nobody 64 "$VMLINUX"
	has priv-name err "fake: run as uid $(id -u nobody) gid $(id -g nobody)"
fi

# SIGKILL at any moment: the /dev/lguest helper goes too
LGUEST_FAKE=idle "$FAKE" --chroot="$LOG/jail" 64 "$VMLINUX" </dev/null \
	>"$LOG/kill.out" 2>"$LOG/kill.err" &
pid=$!
for _ in $(seq 50); do
	grep -q zzz "$LOG/kill.out" && break
	sleep 0.1
done
helper=$(pgrep -P "$pid" || true)
kill -KILL "$pid"
wait "$pid" 2>/dev/null || true
for _ in $(seq 50); do
	if [[ -z $helper ]] || ! kill -0 "$helper" 2>/dev/null; then
		break
	fi
	sleep 0.1
done
if [[ -n $helper ]] && ! kill -0 "$helper" 2>/dev/null; then
	result ok
else
	result fail "SIGKILL: the /dev/lguest helper (${helper:-none found}) lives on"
fi

# Taps, in a network namespace of our own: the host side is set up, and
# goes away with the Launcher however it ends.
# shellcheck disable=SC2016 # a script of its own, with its arguments
if unshare -n bash -c '
	set -u
	FAKE=$1 VMLINUX=$2 LOG=$3
	ip link add lgtestbr0 type bridge || exit 10
	LGUEST_FAKE=idle "$FAKE" --tunnet=192.168.19.1 --tunnet=bridge:lgtestbr0 \
		64 "$VMLINUX" </dev/null >"$LOG/tap.out" 2>"$LOG/tap.err" &
	pid=$!
	for _ in $(seq 50); do
		grep -q zzz "$LOG/tap.out" && break
		sleep 0.1
	done
	ip -o -4 addr show dev lgtap0 | grep -q "inet 192.168.19.1/24" || exit 1
	ip -o link show dev lgtap0 | grep -q "UP" || exit 2
	ip -o link show master lgtestbr0 | grep -q lgtap1 || exit 3
	kill -TERM "$pid"
	wait "$pid"
	[ $? -eq 2 ] || exit 4
	! ip link show dev lgtap0 >/dev/null 2>&1 || exit 5
	LGUEST_FAKE=idle "$FAKE" --tunnet=192.168.19.1 64 "$VMLINUX" \
		</dev/null >"$LOG/tap.out" 2>"$LOG/tap.err" &
	pid=$!
	for _ in $(seq 50); do
		grep -q zzz "$LOG/tap.out" && break
		sleep 0.1
	done
	kill -KILL "$pid"
	wait "$pid"
	for _ in $(seq 20); do
		ip link show dev lgtap0 >/dev/null 2>&1 || exit 0
		sleep 0.1
	done
	exit 6
' sh "$FAKE" "$VMLINUX" "$LOG" >"$LOG/tap.log" 2>&1; then
	result ok
else
	rc=$?
	result fail "taps: check $rc failed (1 address, 2 up, 3 bridge, 4 SIGTERM status, 5 tap left after SIGTERM, 6 after SIGKILL, 10 no bridge: modprobe bridge): $(cat "$LOG/tap.log" "$LOG/tap.err")"
fi

# On a terminal: raw mode while running, three Ctrl-C stop it (status 2),
# and the terminal settings come back.
if LGUEST_FAKE=idle python3 - "$FAKE" "$VMLINUX" >"$LOG/tty.log" 2>&1 <<'PY'
import os, pty, select, sys, termios, time

def read_until(fd, text, timeout):
    out, end = b"", time.time() + timeout
    while text not in out and time.time() < end:
        if select.select([fd], [], [], 0.1)[0]:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
    return out

pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], [sys.argv[1], "64", sys.argv[2]])
before = termios.tcgetattr(fd)
out = read_until(fd, b"zzz", 10)
raw = termios.tcgetattr(fd)
ok = b"zzz" in out and not raw[3] & (termios.ICANON | termios.ECHO | termios.ISIG)
print("raw while running:", ok)
os.write(fd, b"\x03\x03\x03")
out = read_until(fd, b"within a second", 10)
_, status = os.waitpid(pid, 0)
after = termios.tcgetattr(fd)
print(out.decode(errors="replace"))
print("status", os.waitstatus_to_exitcode(status), "restored", after == before)
sys.exit(0 if ok and os.waitstatus_to_exitcode(status) == 2 and
         b"three Ctrl-C within a second" in out and after == before else 1)
PY
then
	result ok
else
	result fail "three Ctrl-C on a terminal: $(cat "$LOG/tty.log")"
fi

echo "program: $passed passed, $failed failed"
[[ $failed -eq 0 ]] || status=1
exit "$status"
