"""``python -m cloudlab.engine.scheduler FILE`` (see cli.py)."""

import sys

from .cli import main

sys.exit(main())
