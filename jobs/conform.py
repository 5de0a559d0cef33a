"""spark-submit entry point: `spark-submit [--master ...] jobs/conform.py [options]`.

Same options as `cxspark conform --help`; see docs/operations.md for the packaging step.
"""

import sys

from cxspark.cli import main

if __name__ == "__main__":
    sys.exit(main(["conform", *sys.argv[1:]]))
