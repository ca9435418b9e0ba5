# The two set-up commands in README are `make demo` and `make test`.
.PHONY: install demo test lint bench eval

install:
	./scripts/install.sh dev

demo: install
	.venv/bin/casebridge build examples/breast-her2 --programme oncology --out out/breast-her2

lint: install
	.venv/bin/ruff check casebridge tests benchmarks examples
	.venv/bin/ruff format --check casebridge tests benchmarks examples
	.venv/bin/mypy

test: lint
	.venv/bin/pytest -n 2 -q

eval: install
	.venv/bin/casebridge eval --data ../shared/eval

bench:
	./scripts/install.sh dev,bench
	.venv/bin/python -m benchmarks
