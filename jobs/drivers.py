"""spark-submit entry point: `spark-submit [--master ...] jobs/drivers.py [options]`.

Same options as `cxspark drivers --help`; see docs/operations.md for the packaging step.
"""

import sys

from cxspark.cli import main

if __name__ == "__main__":
    sys.exit(main(["drivers", *sys.argv[1:]]))
