# cxspark: the two quick-start commands are `make demo` and `make test`.
.PHONY: setup demo test test-all lint bench clean

setup:
	@bash scripts/setup.sh

demo: setup
	.venv/bin/cxspark pipeline --generate

test: setup
	.venv/bin/python -m pytest -q

lint: setup
	.venv/bin/ruff check cxspark tests jobs benchmarks
	.venv/bin/mypy

bench: setup
	.venv/bin/python benchmarks/bench_foundation.py --customers 100000

clean:
	rm -rf lakehouse spark-warehouse .pytest_cache
