"""spark-submit entry point: `spark-submit [--master ...] jobs/resolve.py [options]`.

Same options as `cxspark resolve --help`; see docs/operations.md for the packaging step.
"""

import sys

from cxspark.cli import main

if __name__ == "__main__":
    sys.exit(main(["resolve", *sys.argv[1:]]))
