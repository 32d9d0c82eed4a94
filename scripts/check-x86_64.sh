#!/bin/bash
# The series does not break 64-bit kernels: an x86_64 kernel like a KVM
# guest's (configs/x86_64.config: PARAVIRT, KVM_GUEST, IA32_EMULATION),
# built from the patched and the unpatched tree (build-kernel.sh variants
# x86_64 and base-x86_64), boots under qemu-system-x86_64 and passes the
# x86 selftests, 64-bit and 32-bit, exactly as the unpatched one does
# (tests/30-selftests-native.sh x86_64, logs in
# build/test-logs/30-selftests-native/).
#
# usage: scripts/check-x86_64.sh [--no-build]
#
# Two more kernel builds than the suite's (some 25 minutes from a cold
# ccache on 2 cores) and two boots: the GitLab job "x86_64" (scheduled),
# not part of scripts/test.sh.
set -euo pipefail
exec "$(dirname "${BASH_SOURCE[0]}")/../tests/30-selftests-native.sh" "$@" x86_64
