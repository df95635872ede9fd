"""``python -m orchestration.cli``: the ``kam`` command."""

from orchestration.cli import main

raise SystemExit(main())
