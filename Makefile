# The two set-up commands in README are `make demo` and `make test`.
.PHONY: install demo test lint bench eval

install:
	./scripts/install.sh dev

demo: install
	.venv/bin/casebridge build examples/breast-her2 --programme oncology --out out/breast-her2
	.venv/bin/casebridge serve --demo

lint: install
	.venv/bin/ruff check casebridge tests benchmarks examples
	.venv/bin/ruff format --check casebridge tests benchmarks examples
	data=$$(mktemp -d) && CASEBRIDGE_DEMO=1 CASEBRIDGE_DATA_DIR=$$data .venv/bin/mypy; status=$$?; rm -rf "$$data"; exit $$status
	.venv/bin/bandit -q -r casebridge -c pyproject.toml --severity-level medium
	.venv/bin/python scripts/audit_dependencies.py

# The whole suite on SQLite, then the web tests again on PostgreSQL (127.0.0.1:5432, db test).
test: lint
	.venv/bin/pytest -n 2 -q
	CASEBRIDGE_DB=postgres .venv/bin/pytest -n 2 -q tests/web

eval: install
	.venv/bin/casebridge eval --data ../shared/eval

bench:
	./scripts/install.sh dev,bench
	.venv/bin/python -m benchmarks
