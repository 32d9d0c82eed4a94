#!/bin/bash
# .gitlab-ci.yml is valid for gitlab-ci-local, has the expected jobs, and
# its cheap jobs (setup, apply, checkpatch) pass with the shell executor.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"

[[ -x $GITLAB_CI_LOCAL ]] ||
	die "gitlab-ci-local is not installed in $BUILD/npm" "install it with: scripts/setup.sh"
cd "$TOP"

list=$("$GITLAB_CI_LOCAL" --list)
printf '%s\n' "$list"
# Job names are the first column; columns are separated by 2+ spaces.
names=$(sed -E 's/ {2,}.*//' <<<"$list")
missing=()
for job in setup apply checkpatch 'build: [nopae]' 'build: [pae]' sparse boot bisect fuzz versions configs x86_64 clang debug; do
	grep -qFx "$job" <<<"$names" || missing+=("$job")
done
[[ ${#missing[@]} -eq 0 ]] || die "jobs missing from gitlab-ci-local --list: ${missing[*]}"

"$GITLAB_CI_LOCAL" --shell-executor-no-image setup apply checkpatch
