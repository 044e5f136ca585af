"""``python -m benchmarks.capacity [--quick | --smoke] [--database-url URL]``."""

import sys

from benchmarks.capacity.cli import main

sys.exit(main())
