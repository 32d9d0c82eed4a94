#!/bin/bash
# Every patch of the series passes checkpatch.pl --strict.
set -euo pipefail
exec "$(dirname "${BASH_SOURCE[0]}")/../scripts/check-patches.sh"
