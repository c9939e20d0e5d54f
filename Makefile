# Mottagning. `make run`: the whole platform locally with demo data at http://localhost:8080.
# `make test`: every test. Both start PostgreSQL and Redis (see scripts/services.sh), honouring
# PGHOST/PGPORT/PGUSER and REDIS_URL, e.g. `PGPORT=55432 REDIS_URL=redis://127.0.0.1:56379/0 make test`.
SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

# Go: use /usr/local/go when go is not on PATH.
ifeq ($(shell command -v go 2>/dev/null),)
  ifneq ($(wildcard /usr/local/go/bin/go),)
    export PATH := /usr/local/go/bin:$(PATH)
  endif
endif

HTTP_ADDR ?= 127.0.0.1:8080
BASE_URL ?= http://localhost:8080
DB_NAME := mottagning

SERVICES := bash scripts/services.sh
# Load the servers' addresses (and CHROMIUM_PATH when found) into the recipe's environment.
WITH_ENV := . .local/services.env && export CHROMIUM_PATH="$${CHROMIUM_PATH:-$$(command -v chromium || true)}" &&

.PHONY: help test run bench fmt vet build clean services check-go

help:
	@echo "make run    - the whole platform locally with demo data at $(BASE_URL)"
	@echo "make test   - every test (starts PostgreSQL, Redis; installs them and chromium if missing)"
	@echo "make bench  - benchmarks"
	@echo "make fmt | vet | build | clean"

check-go:
	@command -v go >/dev/null || { echo "Go is not installed (need Go 1.26; expected on PATH or in /usr/local/go)" >&2; exit 1; }

services:
	@$(SERVICES)

test: check-go
	@NEED_CHROMIUM=1 NEED_CC=1 $(SERVICES)
	@echo "go vet ./..."; $(WITH_ENV) go vet ./...
	@echo "go test -race -count=1 -timeout 30m ./..."; $(WITH_ENV) go test -race -count=1 -timeout 30m ./...
	@echo "scripts/check-chart.sh"; bash scripts/check-chart.sh

run: check-go
	@$(SERVICES)
	@$(WITH_ENV) \
	  if [ "$$(psql -X -w -h "$$PGHOST" -p "$$PGPORT" -U "$$PGUSER" -d postgres -Atc "select 1 from pg_database where datname = '$(DB_NAME)'")" != 1 ]; then \
	    psql -X -w -q -h "$$PGHOST" -p "$$PGPORT" -U "$$PGUSER" -d postgres -c 'create database $(DB_NAME)' && echo "created database $(DB_NAME)"; \
	  fi
	@echo "go run ./cmd/mottagning dev  (Mottagning at $(BASE_URL), listening on $(HTTP_ADDR))"
	@$(WITH_ENV) DATABASE_URL="postgres://$$PGUSER@$$PGHOST:$$PGPORT/$(DB_NAME)?sslmode=disable" \
	  HTTP_ADDR='$(HTTP_ADDR)' BASE_URL='$(BASE_URL)' LOG_FORMAT="$${LOG_FORMAT:-text}" go run ./cmd/mottagning dev

bench: check-go
	@NEED_CC=1 $(SERVICES)
	@echo "go test -run '^$$' -bench . -benchmem ./..."; $(WITH_ENV) go test -run '^$$' -bench . -benchmem ./...

fmt: check-go
	git ls-files -z '*.go' | xargs -0 -r gofmt -w

vet: check-go
	go vet ./...

build: check-go
	go build -o .local/bin/mottagning ./cmd/mottagning

clean:
	$(SERVICES) clean
