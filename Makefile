# klachtstroom — the two commands: `make run` and `make test`.
SHELL := /bin/bash
export KLACHTSTROOM_DATA_DIR ?= $(CURDIR)/.run
KEYCLOAK_PORT ?= 8180
UV := $(shell command -v uv 2>/dev/null || echo $(HOME)/.local/bin/uv)

.PHONY: run test test-unit test-e2e bench lint install kafka keycloak asyncapi clean token

install:  ## Python toolchain and the workspace (idempotent)
	@bash deploy/install.sh

kafka: install  ## fetch the Kafka jars from Maven Central (once)
	@python3 deploy/kafka/kafka_node.py fetch

keycloak: install  ## Keycloak (Maven Central) with deploy/keycloak's realms on 127.0.0.1:$(KEYCLOAK_PORT); Ctrl-C stops
	@.venv/bin/python deploy/keycloak/keycloak_server.py start --port "$(KEYCLOAK_PORT)"

run: install kafka  ## start Kafka and the four services; Ctrl-C stops everything
	@.venv/bin/python deploy/run.py

test: install kafka  ## everything CI runs: unit, contract, end-to-end (real Kafka), SQLite and PostgreSQL
	@bash deploy/test.sh

test-unit: install
	@.venv/bin/python -m pytest contracts services -q

token:  ## a development token for one role: make -s token ROLE=kcc [MUNICIPALITY=..] [PROVIDER=..] [NAME=..]
	@bash deploy/install.sh >&2
	@.venv/bin/python -m klachtstroom.platform.auth token --role "$(ROLE)" --municipality "$(MUNICIPALITY)" --provider "$(PROVIDER)" --name "$(NAME)"

bench: install kafka  ## benchmarks; writes bench/results/latest.json
	@.venv/bin/python bench/run.py

lint: install
	@.venv/bin/ruff check contracts services tests bench deploy
	@.venv/bin/mypy contracts/src services/*/src

asyncapi: install  ## regenerate contracts/asyncapi.json from the code
	@.venv/bin/python deploy/asyncapi.py > contracts/asyncapi.json

clean:
	rm -rf .venv .pytest_cache services/intake/src/klachtstroom/intake/triage/installed-model.pickle
