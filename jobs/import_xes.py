"""spark-submit entry point: `spark-submit [--master ...] jobs/import_xes.py [options]`.

Same options as `cxspark import-xes --help`; see docs/operations.md for the packaging step.
"""

import sys

from cxspark.cli import main

if __name__ == "__main__":
    sys.exit(main(["import-xes", *sys.argv[1:]]))
