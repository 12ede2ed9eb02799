"""``python -m bot`` / ``tandem``: train, run and talk to the assistant.

    tandem run     train if needed, start the action server and Rasa, wait until
                   both answer their health checks, then watch them (Ctrl-C stops)
    tandem train   train only if config.yml, domain.yml, data/ or bot/nlu changed
    tandem shell   like run, but chat in this terminal through ``rasa shell``

Ports and paths come from flags, then ``TANDEM_*`` variables (bot/settings.py).
"""

from __future__ import annotations

import argparse
import logging
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from bot.errors import ServerError, TandemError
from bot.settings import Settings
from bot.supervisor import ServerProcess, Supervisor
from bot.training import ensure_model

logger = logging.getLogger("bot")

EXIT_OK, EXIT_SERVER, EXIT_CONFIG, EXIT_INTERRUPTED = 0, 1, 2, 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tandem", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    def server_flags(p: argparse.ArgumentParser) -> None:
        p.add_argument("--host", help="interface for Rasa (default 127.0.0.1, TANDEM_HOST)")
        p.add_argument("--rasa-port", type=int, help="Rasa port (default 5005, TANDEM_RASA_PORT)")
        p.add_argument(
            "--action-port", type=int, help="action server port (default 5055, TANDEM_ACTION_PORT)"
        )
        p.add_argument("--no-train", action="store_true", help="use the newest model as it is")

    run = sub.add_parser("run", help="start the assistant")
    server_flags(run)
    run.add_argument("--quiet", action="store_true", help="keep server logs in files only")
    train = sub.add_parser("train", help="train the model if its inputs changed")
    train.add_argument("--force", action="store_true", help="train even if a model is current")
    shell = sub.add_parser("shell", help="chat with the assistant in this terminal")
    server_flags(shell)
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    return Settings.from_env().with_overrides(
        host=getattr(args, "host", None),
        rasa_port=getattr(args, "rasa_port", None),
        action_port=getattr(args, "action_port", None),
    )


def _model(settings: Settings, *, no_train: bool) -> Path:
    if not no_train:
        return ensure_model(settings)
    models = sorted(settings.models_dir.glob("tandem-*.tar.gz"), key=lambda p: p.stat().st_mtime)
    if not models:
        raise TandemError(f"No trained model in {settings.models_dir}; run without --no-train.")
    return models[-1]


def _interrupt_on_signals() -> None:
    """Ctrl-C and SIGTERM both unwind into the same orderly stop, once.

    Installed explicitly because a process started in the background inherits an
    ignored SIGINT, and SIGTERM (systemd, docker stop) raises nothing by default.
    """

    def interrupt(signum: int, frame: FrameType | None) -> None:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, interrupt)
    signal.signal(signal.SIGTERM, interrupt)


def cmd_run(args: argparse.Namespace) -> int:
    settings = _settings(args)
    _refuse_open_api(settings)
    _interrupt_on_signals()
    model = _model(settings, no_train=args.no_train)
    supervisor = Supervisor(settings, model=model, echo=None if args.quiet else sys.stdout)
    started = time.monotonic()
    try:
        supervisor.start()
        logger.info(
            "ready in %.1f s: Rasa at %s (REST: POST %s/webhooks/rest/webhook), "
            "actions at http://127.0.0.1:%d, logs in %s. Ctrl-C stops.",
            time.monotonic() - started,
            settings.rasa_url,
            settings.rasa_url,
            settings.action_port,
            settings.log_dir,
        )
        supervisor.watch()
    except KeyboardInterrupt:
        pass
    finally:
        supervisor.stop()
    logger.info("stopped")
    return EXIT_OK


def cmd_train(args: argparse.Namespace) -> int:
    model = ensure_model(Settings.from_env(), force=args.force)
    logger.info("model: %s", model)
    return EXIT_OK


def cmd_shell(args: argparse.Namespace) -> int:
    settings = _settings(args)
    model = _model(settings, no_train=args.no_train)
    supervisor = Supervisor(settings, model=model)
    actions: ServerProcess = supervisor.actions
    actions.start()
    try:
        actions.wait_ready(time.monotonic() + settings.ready_timeout_s)
        command = [
            str(settings.engine_python), "-m", "bot.engine", "shell", "--model", str(model),
            "--endpoints", "endpoints.yml", "--port", str(settings.rasa_port),
        ]  # fmt: skip
        return subprocess.call(command, cwd=settings.project_dir, env=settings.engine_env())
    except KeyboardInterrupt:
        return EXIT_OK
    finally:
        actions.stop()


def _refuse_open_api(settings: Settings) -> None:
    """Rasa's HTTP API can rewrite any conversation: never expose it unauthenticated."""
    if settings.host not in ("127.0.0.1", "localhost", "::1"):
        raise TandemError(
            f"Refusing to serve Rasa's HTTP API on {settings.host} without authentication. "
            "Keep TANDEM_HOST=127.0.0.1 and put a reverse proxy in front of the channel "
            "webhooks, or wait for token-protected mode (issue: channels)."
        )


COMMANDS = {"run": cmd_run, "train": cmd_train, "shell": cmd_shell}


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="[tandem] %(message)s")
    try:
        return COMMANDS[args.command](args)
    except KeyboardInterrupt:
        logger.info("interrupted")
        return EXIT_INTERRUPTED
    except ServerError as e:
        logger.error("%s", e)
        return EXIT_SERVER
    except TandemError as e:
        logger.error("%s", e)
        return EXIT_CONFIG


if __name__ == "__main__":
    sys.exit(main())
