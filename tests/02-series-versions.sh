#!/bin/bash
# The series applies with strict git am onto every linux-source-6.12 that
# Debian's archive offers to this machine, not only onto the one
# build/linux is made of (scripts/check-versions.sh: distro maintainers
# carry it across point releases).
set -euo pipefail
exec "$(dirname "${BASH_SOURCE[0]}")/../scripts/check-versions.sh"
