from __future__ import annotations

import sys

from docexec.cli.main import main

sys.exit(main())
