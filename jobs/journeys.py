"""spark-submit entry point: `spark-submit [--master ...] jobs/journeys.py [options]`.

Same options as `cxspark journeys --help`; see docs/operations.md for the packaging step.
"""

import sys

from cxspark.cli import main

if __name__ == "__main__":
    sys.exit(main(["journeys", *sys.argv[1:]]))
