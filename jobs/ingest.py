"""spark-submit entry point: `spark-submit [--master ...] jobs/ingest.py [options]`.

Same options as `cxspark ingest --help`; see docs/operations.md for the packaging step.
"""

import sys

from cxspark.cli import main

if __name__ == "__main__":
    sys.exit(main(["ingest", *sys.argv[1:]]))
