"""spark-submit entry point: `spark-submit [--master ...] jobs/pipeline.py [options]`.

Same options as `cxspark pipeline --help`; see docs/operations.md for the packaging step.
"""

import sys

from cxspark.cli import main

if __name__ == "__main__":
    sys.exit(main(["pipeline", *sys.argv[1:]]))
