"""`python -m picd_desktop` runs the `picd` command line."""

import sys

from picd_desktop.cli import main

sys.exit(main())
