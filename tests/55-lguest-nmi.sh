#!/bin/bash
# NMIs while guests run, for the nopae and pae hosts: one round of
# scripts/stress-nmi.sh each.  QEMU's monitor injects an NMI every 40 ms
# while three smoke-suite guests run one after the other; many land in
# the Switcher, between host and guest state.  The host must survive them
# all (no panic, no reset, no WARNING), take at least 100, and the guests
# must pass.
#
# usage: tests/55-lguest-nmi.sh [VARIANT...]   (default: nopae pae)
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"

variants=("$@")
[[ ${#variants[@]} -gt 0 ]] || variants=(nopae pae)
status=0
for v in "${variants[@]}"; do
	echo "=== $v"
	if "$TOP/scripts/stress-nmi.sh" "$v"; then
		echo "=== $v: PASS"
	else
		echo "=== $v: FAIL (logs: $BUILD/stress/nmi-$v-1.log)"
		status=1
	fi
done
exit "$status"
