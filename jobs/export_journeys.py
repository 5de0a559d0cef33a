"""spark-submit entry point: `spark-submit [--master ...] jobs/export_journeys.py [options]`.

Same options as `cxspark export-journeys --help`; see docs/operations.md for the packaging step.
"""

import sys

from cxspark.cli import main

if __name__ == "__main__":
    sys.exit(main(["export-journeys", *sys.argv[1:]]))
