# The two commands. Both install whatever is missing first (see scripts/setup.sh).
.PHONY: run test
run: ## start Agentry on http://127.0.0.1:3000 (SQLite in data/agentry.db)
	bash scripts/run.sh
test: ## run every test (SQLite + a throwaway PostgreSQL, browsers, pow-wasm)
	bash scripts/test.sh
