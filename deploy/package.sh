#!/usr/bin/env bash
# Package cxspark for spark-submit and print the options to use.
#   deploy/package.sh [env]      (env defaults to $CXSPARK_ENV or cluster)
# Writes dist/cxspark-<version>.zip (for --py-files) and prints the spark-submit options:
# the zip, Delta's jars (--jars from the project's Ivy cache, or --packages) and the
# Spark confs Delta and cxspark need. See docs/operations.md for standalone, YARN and
# Kubernetes examples.
set -euo pipefail
cd "$(dirname "$0")/.."
env="${1:-${CXSPARK_ENV:-cluster}}"
zip=$(.venv/bin/python -m cxspark.core.deploy package --out dist)
echo "packaged: $zip" >&2
.venv/bin/python -m cxspark.core.deploy args --zip "$zip" --env "$env"
