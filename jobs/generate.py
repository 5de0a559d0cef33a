"""spark-submit entry point: `spark-submit [--master ...] jobs/generate.py [options]`.

Same options as `cxspark generate --help`; see docs/operations.md for the packaging step.
"""

import sys

from cxspark.cli import main

if __name__ == "__main__":
    sys.exit(main(["generate", *sys.argv[1:]]))
