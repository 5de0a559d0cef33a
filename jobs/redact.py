"""spark-submit entry point: `spark-submit [--master ...] jobs/redact.py [options]`.

Same options as `cxspark redact --help`; see docs/operations.md for the packaging step.
"""

import sys

from cxspark.cli import main

if __name__ == "__main__":
    sys.exit(main(["redact", *sys.argv[1:]]))
