# The two commands a newcomer needs: `make run` and `make test`. Everything else is a step of theirs.
SHELL := /bin/bash
# A failing step fails its recipe even when its output is filtered through a pipe.
.SHELLFLAGS := -o pipefail -c
.DEFAULT_GOAL := help
export REDOCLY_TELEMETRY := off
export NO_UPDATE_NOTIFIER := 1

NODE := node --import tsx
BIN := node_modules/.bin
INSTALLED := node_modules/.installed
SPEC := openapi/openapi.yaml
SDK_TEMPLATES := openapi/sdk/templates
SDK_CONFIG := openapi/sdk/generator.json
DOCS_PAGE := docs/index.html
SDK_DIST := generated/sdk/dist/index.js
# The development secret for `make run` and `make token` when BETTER_AUTH_SECRET is not set.
SECRET := BETTER_AUTH_SECRET="$${BETTER_AUTH_SECRET:-$$($(NODE) src/cli/dev-secret.ts)}"
# `make run` trusts only the JWKS when JWT_JWKS_URL is set and no secret is: no development tokens then.
RUN_SECRET := BETTER_AUTH_SECRET="$${BETTER_AUTH_SECRET:-$$([ -n "$${JWT_JWKS_URL:-}" ] || $(NODE) src/cli/dev-secret.ts)}"

.PHONY: help run test generate check-generated sdk docs lint typecheck unit migrate token bench clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | expand -t 18

$(INSTALLED): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

run: $(INSTALLED) $(DOCS_PAGE) ## start the server (embedded database unless DATABASE_URL is set)
	@$(RUN_SECRET) exec $(NODE) src/server.ts

test: $(INSTALLED) check-generated lint typecheck $(DOCS_PAGE) ## every check and every test
	SPEC_COVERAGE=required $(BIN)/mocha

generate: $(INSTALLED) ## regenerate generated/ from the spec: bundled spec, server types, SDK sources
	@$(MAKE) --no-print-directory generated-into OUT=generated

# Writes the bundled spec, the server's TypeScript types and the SDK's sources into $(OUT).
generated-into:
	@mkdir -p $(OUT)
	@$(BIN)/redocly bundle $(SPEC) --ext json -o $(OUT)/openapi.json 2>&1 | { grep -E 'Created|rror' || true; }
	@$(BIN)/redocly bundle $(SPEC) --ext yaml -o $(OUT)/openapi.yaml 2>&1 | { grep -E 'Created|rror' || true; }
	@$(BIN)/openapi-typescript $(SPEC) -o $(OUT)/api.ts 2>&1 | { grep -v '^✨' || true; }
	@rm -rf $(OUT)/sdk/src
	@$(BIN)/openapi-generator generate --input-spec $(SPEC) --generator-name typescript-fetch \
	  --template-dir $(SDK_TEMPLATES) --config $(SDK_CONFIG) --output $(OUT)/sdk >/dev/null \
	  && echo "🧰 Generated the SDK in $(OUT)/sdk"

check-generated: $(INSTALLED) ## fail when generated/ is stale
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	$(MAKE) --no-print-directory generated-into OUT=$$tmp >/dev/null && \
	if diff -r -q --exclude='dist*' --exclude=node_modules "$$tmp" generated; then echo "generated/ is up to date"; \
	else echo "generated/ is stale: run 'make generate' and commit it"; exit 1; fi

sdk: $(SDK_DIST) ## compile the SDK (generated/sdk) to ESM JavaScript with .d.ts files
# Built beside and swapped in, so that suites using the SDK never see it half-built.
$(SDK_DIST): $(INSTALLED) generated/sdk/tsconfig.json $(wildcard generated/sdk/src/*.ts generated/sdk/src/*/*.ts)
	@rm -rf generated/sdk/dist.building
	$(BIN)/tsc -p generated/sdk/tsconfig.json --outDir generated/sdk/dist.building
	@rm -rf generated/sdk/dist && mv generated/sdk/dist.building generated/sdk/dist

docs: $(DOCS_PAGE) ## build the API reference page (docs/index.html), self-contained
$(DOCS_PAGE): $(INSTALLED) $(SPEC) redocly.yaml
	@$(BIN)/redocly build-docs $(SPEC) --inlineBundle --output $@ 2>&1 | { grep -E 'bundled|rror' || true; }
	@test -s $@

lint: $(INSTALLED) ## lint the spec: Redocly (recommended + house rules) and Spectral (OWASP)
	$(BIN)/redocly lint $(SPEC)
	$(BIN)/spectral lint --fail-severity warn $(SPEC)

typecheck: $(INSTALLED) $(SDK_DIST) ## type-check everything (tsx does not)
	$(BIN)/tsc -p .
	$(BIN)/tsc -p bench

unit: $(INSTALLED) $(SDK_DIST) $(DOCS_PAGE) ## the tests alone, without the checks
	$(BIN)/mocha

migrate: $(INSTALLED) ## apply database migrations (DATABASE_URL, or the embedded database)
	$(NODE) src/cli/migrate.ts

token: $(INSTALLED) ## print a development token: make token USER=alice
	@$(SECRET) $(NODE) src/cli/token.ts "$(USER)"

bench: typecheck ## load-test against PostgreSQL and the floor server (bench/run.ts, ~4 min), results in bench/results/
	$(NODE) bench/run.ts

clean: ## remove installed packages (keeps data/)
	rm -rf node_modules
