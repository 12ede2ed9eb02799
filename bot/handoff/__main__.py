"""``python -m bot.handoff serve | migrate | create-user``; see :mod:`bot.handoff.cli`."""

from bot.handoff.cli import main

raise SystemExit(main())
