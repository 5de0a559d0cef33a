#!/usr/bin/env bash
# Set up everything cxspark needs on this machine, idempotently:
#   1. a Python 3.11 virtualenv in .venv with the pinned versions of constraints.txt
#   2. cxspark itself (editable) with its dev tools
#   3. Delta Lake's jars in the project's Ivy cache (.ivy), so jobs and tests run offline
# Needs network only the first time (PyPI and Maven Central).
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3
if ! "$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)'; then
  echo "setup: error: cxspark needs Python 3.11 (found $("$PYTHON" --version 2>&1)); set PYTHON=/path/to/python3.11" >&2
  exit 2
fi
if ! command -v java >/dev/null 2>&1; then
  echo "setup: error: Spark needs a Java runtime (17 or 21); install e.g. openjdk-17-jre-headless" >&2
  exit 2
fi

stamp=.venv/.cxspark-installed
want="$(cat constraints.txt pyproject.toml | sha256sum | cut -c1-16)"
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv"
  "$PYTHON" -m venv .venv
fi
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "setup: installing pinned packages (first time takes a few minutes)"
  .venv/bin/python -m pip install --quiet --upgrade "pip>=24" wheel
  .venv/bin/python -m pip install --quiet -c constraints.txt -e ".[dev]"
  echo "$want" > "$stamp"
fi

delta_jar=$(.venv/bin/python -c 'from cxspark.core.session import delta_coordinate as d; o, a, v = d().split(":"); print(f".ivy/jars/{o}_{a}-{v}.jar")')
if [ ! -f "$delta_jar" ]; then
  echo "setup: fetching Delta Lake jars into .ivy (Maven Central)"
  rm -rf .ivy/jars   # jars of another Delta version must not stay on the classpath
  CXSPARK_ENV=local .venv/bin/python -m cxspark.core.session --fetch-jars
fi
echo "setup: ready ($(.venv/bin/python -c 'import pyspark, delta, importlib.metadata as m; print("pyspark", pyspark.__version__, "delta-spark", m.version("delta-spark"))'))"
