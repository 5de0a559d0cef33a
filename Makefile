# cxspark: the two quick-start commands are `make demo` and `make test`.
.PHONY: setup demo test test-fast test-unit test-spark test-pipeline test-integration lint bench clean

setup:
	@bash scripts/setup.sh

demo: setup
	.venv/bin/cxspark pipeline --generate

test: setup          ## every tier: unit, spark, pipeline, integration
	.venv/bin/python -m pytest -q

test-fast: setup     ## unit and spark: no generated lakehouse, no cluster
	.venv/bin/python -m pytest -q -m "unit or spark"

test-unit: setup     ## pure Python, no JVM
	.venv/bin/python -m pytest -q -m unit

test-spark: setup
	.venv/bin/python -m pytest -q -m spark

test-pipeline: setup
	.venv/bin/python -m pytest -q -m pipeline

test-integration: setup
	.venv/bin/python -m pytest -q -m integration

lint: setup
	.venv/bin/ruff check cxspark tests jobs benchmarks scripts
	.venv/bin/mypy

bench: setup
	.venv/bin/python benchmarks/bench_foundation.py --customers 100000

clean:
	rm -rf lakehouse spark-warehouse .pytest_cache
