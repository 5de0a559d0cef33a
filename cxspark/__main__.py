"""``python -m cxspark``: the command line (see :mod:`cxspark.cli`)."""

import sys

from cxspark.cli import main

sys.exit(main())
