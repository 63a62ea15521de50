# Virtual PBX — see README.md. Every target works as root on a fresh Debian 12/13 machine.
SHELL := /bin/bash
PYTHON := $(CURDIR)/.venv/bin/python
export VPBX_CONFIG ?= /etc/vpbx/vpbx.conf

.PHONY: setup run stop status test unit bench fuzz clean

setup:
	@bash scripts/setup.sh

## run: set up, start rtpengine, Kamailio, the media app and the web UI, load the demo tenant
run: setup
	@$(PYTHON) -m vpbx.stack.control start
	@vpbx apply demo/platform.yaml
	@vpbx apply demo/demo-tenant.yaml
	@$(PYTHON) -m webui.accounts exists demo-admin || \
	  echo 'demo-admin-7956' | $(PYTHON) -m webui.accounts create-admin demo demo-admin --password-stdin
	@bash scripts/welcome.sh

## stop: stop what `make run` started
stop:
	@$(PYTHON) -m vpbx.stack.control stop

status:
	@$(PYTHON) -m vpbx.stack.control status

## test: set up, then the whole suite (unit and integration, real components)
test: setup
	@$(PYTHON) -m pytest -q

unit:
	@$(PYTHON) -m pytest -q tests/unit

## bench: call and registration rates through the full stack, next to a native baseline, then
## the web UI's page timings. The summary goes to bench/results/latest.txt (committed), each
## run's whole results to bench/results/bench-<UTC time>.json (ignored by git)
bench: setup
	@$(PYTHON) -m bench.run
	@$(PYTHON) -m bench.webui_pages

## fuzz: 20,000 mutated SIP messages (UDP and TCP) at the edge of a platform of its own, a
## legitimate phone checked throughout; report in fuzz/results/ (see fuzz/README.md).
## FUZZ_ARGS="--seed 7 --strict" to vary or tighten it
fuzz: setup
	@$(PYTHON) -m fuzz.run $(FUZZ_ARGS)
