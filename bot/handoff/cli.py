"""``python -m bot.handoff``: create staff accounts, migrate the database, serve.

Passwords never appear on the command line (where ``ps`` and shell history
would keep them): they come from standard input or from an environment
variable named with ``--password-env``.
"""

from __future__ import annotations

import argparse
import getpass
import logging
import sys
from collections.abc import Sequence

from bot.errors import ConfigError
from bot.handoff.accounts import Accounts
from bot.handoff.db import make_engine, migrate
from bot.handoff.errors import HandoffError
from bot.handoff.settings import HandoffSettings
from bot.settings import read_environment

logger = logging.getLogger("bot.handoff")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot.handoff", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("serve", help="migrate, then serve the engine API and the agent console")
    commands.add_parser("migrate", help="bring the database schema up to date")
    user = commands.add_parser("create-user", help="add an agent or supervisor")
    user.add_argument("--email", required=True)
    user.add_argument("--name", required=True, help="display name customers see")
    user.add_argument("--role", choices=("agent", "supervisor"), default="agent")
    user.add_argument(
        "--password-env", metavar="VAR", help="read the password from this environment variable"
    )
    return parser


def _read_password(var: str | None) -> str:
    if var:
        password = read_environment().get(var)
        if not password:
            raise ConfigError(f"--password-env {var}: the variable is not set or empty.")
        return password
    if sys.stdin.isatty():
        first = getpass.getpass("Password: ")
        if first != getpass.getpass("Repeat it: "):
            raise ConfigError("The two passwords differ; nothing was created.")
        return first
    return sys.stdin.readline().rstrip("\r\n")


def _serve(settings: HandoffSettings) -> None:
    import uvicorn

    from bot.handoff.app import create_app

    app = create_app(settings.check())
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_level="info",
        proxy_headers=False,
        server_header=False,
        timeout_graceful_shutdown=5,
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        settings = HandoffSettings.from_env()
        if args.command == "serve":
            _serve(settings)
            return 0
        engine = make_engine(settings.db_url)
        migrate(engine)
        if args.command == "create-user":
            from sqlalchemy.orm import sessionmaker

            user = Accounts(sessionmaker(engine, expire_on_commit=False)).create_user(
                email=args.email,
                name=args.name,
                role=args.role,
                password=_read_password(args.password_env),
            )
            logger.info("created %s %s (%s), id %d", user.role, user.email, user.name, user.id)
        else:
            logger.info("database at revision head")
        engine.dispose()
    except (ConfigError, HandoffError) as e:
        logger.error("%s", e)
        return 2
    return 0
