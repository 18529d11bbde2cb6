# The two commands a newcomer needs: `make run` and `make test`. Everything else is a step of theirs.
SHELL := /bin/bash
.DEFAULT_GOAL := help
export REDOCLY_TELEMETRY := off
export NO_UPDATE_NOTIFIER := 1

NODE := node --import tsx
BIN := node_modules/.bin
INSTALLED := node_modules/.installed
SPEC := openapi/openapi.yaml
# The development secret for `make run` and `make token` when BETTER_AUTH_SECRET is not set.
SECRET := BETTER_AUTH_SECRET="$${BETTER_AUTH_SECRET:-$$($(NODE) src/cli/dev-secret.ts)}"

.PHONY: help run test generate check-generated lint typecheck unit migrate token clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | expand -t 18

$(INSTALLED): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

run: $(INSTALLED) ## start the server (embedded database unless DATABASE_URL is set)
	@$(SECRET) exec $(NODE) src/server.ts

test: $(INSTALLED) check-generated lint typecheck ## every check and every test
	$(BIN)/mocha

generate: $(INSTALLED) ## regenerate generated/ from the spec
	@$(MAKE) --no-print-directory generated-into OUT=generated

# Writes the bundled spec and the TypeScript types into $(OUT).
generated-into:
	@mkdir -p $(OUT)
	@$(BIN)/redocly bundle $(SPEC) --ext json -o $(OUT)/openapi.json 2>&1 | grep -E 'Created|rror' || true
	@$(BIN)/openapi-typescript $(SPEC) -o $(OUT)/api.ts 2>&1 | grep -v '^✨' || true

check-generated: $(INSTALLED) ## fail when generated/ is stale
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	$(MAKE) --no-print-directory generated-into OUT=$$tmp && \
	for file in openapi.json api.ts; do \
	  cmp -s "$$tmp/$$file" "generated/$$file" || { echo "generated/$$file is stale: run 'make generate' and commit it"; exit 1; }; \
	done && echo "generated/ is up to date"

lint: $(INSTALLED) ## lint the spec (redocly)
	$(BIN)/redocly lint $(SPEC)

typecheck: $(INSTALLED) ## type-check everything (tsx does not)
	$(BIN)/tsc -p .

unit: $(INSTALLED) ## the tests alone, without the checks
	$(BIN)/mocha

migrate: $(INSTALLED) ## apply database migrations (DATABASE_URL, or the embedded database)
	$(NODE) src/cli/migrate.ts

token: $(INSTALLED) ## print a development token: make token USER=alice
	@$(SECRET) $(NODE) src/cli/token.ts "$(USER)"

clean: ## remove installed packages (keeps data/)
	rm -rf node_modules
