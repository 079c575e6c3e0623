"""`python -m bench.load` (`make load`): see bench.load.run."""

import sys

from bench.load.run import main

sys.exit(main())
