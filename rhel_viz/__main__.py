"""``python -m rhel_viz``: see :mod:`rhel_viz.cli`."""

import sys

from rhel_viz.cli import main

sys.exit(main())
