#!/usr/bin/env bash
# Submit a cxspark job:  deploy/submit.sh --master spark://host:7077 ingest --env cluster
# Everything before the job name goes to spark-submit; everything after it to the job.
set -euo pipefail
cd "$(dirname "$0")/.."
submit_opts=()
while [ $# -gt 0 ] && [[ "$1" == -* ]]; do submit_opts+=("$1" "$2"); shift 2; done
job="${1:?usage: deploy/submit.sh [spark-submit options] <job> [job options]}"; shift
env="${CXSPARK_ENV:-cluster}"
for ((i = 1; i <= $#; i++)); do [ "${!i}" = "--env" ] && { j=$((i + 1)); env="${!j}"; }; done
zip=$(.venv/bin/python -m cxspark.core.deploy package --out dist)
eval "opts=($(.venv/bin/python -m cxspark.core.deploy args --zip "$zip" --env "$env"))"
SPARK_HOME="${SPARK_HOME:-$(.venv/bin/python -c 'import pyspark, os; print(os.path.dirname(pyspark.__file__))')}"
exec "$SPARK_HOME/bin/spark-submit" "${submit_opts[@]}" "${opts[@]}" "jobs/$job.py" "$@"
