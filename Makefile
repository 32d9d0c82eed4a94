# Everyday entry points of the lguest workspace: thin wrappers over
# scripts/. `make help` lists them.

SHELL := /bin/bash
S := scripts
VARIANTS := nopae pae

.PHONY: help setup apply export build test check checkpatch sparse bisect \
	bench fuzz run lint clean

help:
	@echo 'make setup       install what is needed (scripts/setup.sh; root for packages)'
	@echo 'make apply       create/update the work tree build/linux from series'
	@echo 'make export      export build/linux commits base..HEAD into patches/ + series'
	@echo 'make build       build the patched kernels: $(VARIANTS)'
	@echo 'make test        run the test suite (scripts/test.sh; T=PATTERN for a subset)'
	@echo 'make check       checkpatch --strict and sparse/W=1 on the series'
	@echo 'make bisect      build every prefix of the series (slow; FROM=N, TO=M: patches N to M)'
	@echo 'make bench       benchmarks, nopae: patched vs unpatched, guest vs host'
	@echo 'make fuzz        a long fuzzer soak, nopae and pae (OPS=1000000 SEED=date)'
	@echo 'make run         boot a host under QEMU and an lguest guest in it (scripts/run.sh)'
	@echo 'make lint        shellcheck the workspace scripts'
	@echo 'make clean       remove build outputs (keeps build/linux, ccache, downloads)'

setup:
	$(S)/setup.sh

apply:
	$(S)/apply.sh

export:
	$(S)/export.sh

build:
	@set -e; for v in $(VARIANTS); do $(S)/build-kernel.sh $$v; done

test:
	$(S)/test.sh $(if $(T),-k '$(T)')

check: checkpatch sparse

checkpatch:
	$(S)/check-patches.sh

sparse:
	$(S)/check-sparse.sh

bisect:
	$(S)/check-bisect.sh $(if $(FROM),--from $(FROM)) $(if $(TO),--to $(TO))

bench:
	$(S)/bench.sh nopae
	$(S)/bench-guest.sh nopae

# A soak of the fuzzer of test 47: OPS operations per variant, 4 hours
# per host at most.
OPS ?= 1000000
fuzz:
	LGUEST_HOST_TIMEOUT=14400 tests/47-lguest-fuzz.sh --ops $(OPS) \
		$(if $(SEED),--seed $(SEED))

run:
	$(S)/run.sh

lint:
	shellcheck -x scripts/*.sh tests/*.sh tests/guest/*.sh .ci/run

clean:
	rm -rf build/out-* build/test-logs build/sparse build/bisect build/run \
		build/host build/series-applies.*
	if [ -d build/linux/.git ]; then git -C build/linux worktree prune; fi
