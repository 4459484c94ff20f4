"""``python -m oasis_server.cli``: the same as the ``oasis`` command."""

import sys

from oasis_server.cli.app import main

sys.exit(main())
