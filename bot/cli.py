"""``python -m bot`` / ``tandem``: train, run and talk to the assistant.

    tandem run     train if needed, start the action server and Rasa, wait until
                   both answer their health checks, then watch them (Ctrl-C stops);
                   with --replicas N, N Rasa replicas behind HAProxy (bot/cluster.py)
    tandem train   train only if config.yml, domain.yml, data/ or bot/nlu changed
    tandem shell   like run, but chat in this terminal through ``rasa shell``
    tandem new     write a new assistant project into a new folder (bot/scaffold)
    tandem erase   delete one conversation from the tracker store, the handoff
                   database and the logs (right to erasure; bot/erasure.py)
    tandem analytics clusters   group the messages the bot did not handle into
                   topics; export one as NLU YAML or a knowledge stub
    tandem report  the analytics KPIs of a period as one HTML file (--since 7d)
    tandem analytics consume [--once]   events into the analytics store

Ports and paths come from flags, then ``TANDEM_*`` variables (bot/settings.py).
"""

from __future__ import annotations

import argparse
import logging
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from bot.cluster import Cluster, check_counts, find_haproxy
from bot.errors import ConfigError, ServerError, StoreError, TandemError
from bot.settings import Settings
from bot.supervisor import ProcessGroup, ServerProcess, Supervisor
from bot.training import ensure_model

logger = logging.getLogger("bot")

EXIT_OK, EXIT_SERVER, EXIT_CONFIG, EXIT_STORE, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


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
        p.add_argument(
            "--profile",
            choices=["embedded", "production"],
            help="embedded: SQLite, one process (default); production: PostgreSQL, Redis "
            "and RabbitMQ (endpoints.production.yml, docs/scaling.md; TANDEM_PROFILE)",
        )

    run = sub.add_parser("run", help="start the assistant")
    server_flags(run)
    run.add_argument("--quiet", action="store_true", help="keep server logs in files only")
    run.add_argument(
        "--replicas",
        type=int,
        help="run N Rasa replicas behind HAProxy on the Rasa port, with the production "
        "profile (docs/scaling.md; scripts/setup-cluster.sh installs HAProxy)",
    )
    run.add_argument(
        "--action-servers",
        type=int,
        default=1,
        help="with --replicas: how many action servers, behind HAProxy too (default 1)",
    )
    run.add_argument(
        "--cpus-per-replica",
        type=int,
        help="with --replicas: pin each replica to this many cores of its own, as a "
        "Kubernetes CPU limit would (default: replicas share every core)",
    )
    train = sub.add_parser("train", help="train the model if its inputs changed")
    train.add_argument("--force", action="store_true", help="train even if a model is current")
    shell = sub.add_parser("shell", help="chat with the assistant in this terminal")
    server_flags(shell)
    new = sub.add_parser("new", help="create a new assistant project in PATH")
    new.add_argument("path", type=Path, help="a folder that does not exist yet, or is empty")
    new.add_argument("--name", default="Ada", help="the assistant's name (default Ada)")
    new.add_argument("--business", default="Acme", help="the business it speaks for")
    new.add_argument(
        "--description", default="a small shop", help="what the business is, in a few words"
    )
    erase = sub.add_parser("erase", help="delete one customer's conversation everywhere")
    erase.add_argument(
        "--sender", required=True, help="the conversation id as stored (e.g. rest:alice)"
    )
    analytics = sub.add_parser(
        "analytics", help="analytics tools (clusters: unhandled topics; consume: events in)"
    )
    analytics.add_argument(
        "tool", choices=["clusters", "consume"], help="`<tool> --help` for its options"
    )
    analytics.add_argument("tool_args", nargs=argparse.REMAINDER)
    from bot.analytics import report

    report.add_arguments(sub.add_parser("report", help="write the analytics report (HTML)"))
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    return Settings.from_env().with_overrides(
        host=getattr(args, "host", None),
        rasa_port=getattr(args, "rasa_port", None),
        action_port=getattr(args, "action_port", None),
        profile=getattr(args, "profile", None),
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


DEMO_ACCOUNT = "supervisor@voltline.example"


def _demo_console_account(settings: Settings) -> Path:
    """A console sign-in for the embedded run, made once; its password file is 0600."""
    login_file = settings.state_dir / "console-login.txt"
    if login_file.exists():
        return login_file
    password = secrets.token_urlsafe(12)
    env = {**settings.handoff_env(), "TANDEM_DEMO_PASSWORD": password}
    command = [
        str(settings.actions_python), "-m", "bot.handoff", "create-user", "--email", DEMO_ACCOUNT,
        "--name", "Sam", "--role", "supervisor", "--password-env", "TANDEM_DEMO_PASSWORD",
    ]  # fmt: skip
    result = subprocess.run(
        command, cwd=settings.project_dir, env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise TandemError(
            f"Could not create the demo console account: {result.stderr.strip()[-500:]}\n"
            f"If {DEMO_ACCOUNT} exists already, create another with `python -m bot.handoff "
            "create-user` (docs/handoff.md) or delete .tandem/handoff.db."
        )
    settings.state_dir.mkdir(parents=True, exist_ok=True)
    login_file.touch(mode=0o600)
    login_file.write_text(f"console: {settings.handoff_url}/console/\n"
                          f"e-mail: {DEMO_ACCOUNT}\npassword: {password}\n")  # fmt: skip
    return login_file


def cmd_run(args: argparse.Namespace) -> int:
    settings = _settings(args)
    _refuse_open_api(settings)
    _interrupt_on_signals()
    cluster = args.replicas is not None
    if args.cpus_per_replica is not None and not cluster:
        raise ConfigError("--cpus-per-replica goes with --replicas N; add --replicas.")
    if cluster and args.profile == "embedded":
        raise ConfigError(
            "--replicas runs the production profile (PostgreSQL, Redis, RabbitMQ): replicas "
            "cannot share SQLite and an in-memory lock. Drop --profile embedded."
        )
    if cluster:
        check_counts(args.replicas, args.action_servers)
        if args.cpus_per_replica is not None and args.cpus_per_replica < 1:
            raise ConfigError(
                f"--cpus-per-replica {args.cpus_per_replica}: give 1 or more, or leave it out."
            )
        settings = settings.with_overrides(profile="production")
    haproxy = find_haproxy() if cluster else None  # before training: fail fast
    model = _model(settings, no_train=args.no_train)
    login_file = _demo_console_account(settings) if settings.on_loopback else None
    echo = None if args.quiet else sys.stdout
    supervisor: ProcessGroup = (
        Cluster(
            settings,
            model=model,
            replicas=args.replicas,
            action_servers=args.action_servers,
            haproxy=haproxy,
            echo=echo,
            cpus_per_replica=args.cpus_per_replica,
        )
        if cluster
        else Supervisor(settings, model=model, echo=echo)
    )
    started = time.monotonic()
    try:
        supervisor.start()
        logger.info(
            "ready in %.1f s%s. Chat: %s/webhooks/webchat/demo (REST: POST "
            "%s/webhooks/rest/webhook). Agent console: %s/console/%s. Logs in %s. Ctrl-C stops.",
            time.monotonic() - started,
            f" ({args.replicas} replicas behind HAProxy)" if cluster else "",
            settings.rasa_url,
            settings.rasa_url,
            settings.handoff_url,
            f" (sign-in in {login_file})" if login_file else "",
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
            "--endpoints", settings.endpoints_file, "--port", str(settings.rasa_port),
            "--interface", "127.0.0.1",  # rasa shell listens on 0.0.0.0 unless told
        ]  # fmt: skip
        return subprocess.call(command, cwd=settings.project_dir, env=settings.engine_env())
    except KeyboardInterrupt:
        return EXIT_OK
    finally:
        actions.stop()


def cmd_new(args: argparse.Namespace) -> int:
    from bot.scaffold import Project, create_project

    project = Project(assistant=args.name, business=args.business, description=args.description)
    files = create_project(args.path, project)
    logger.info("wrote %d files into %s", len(files), args.path)
    logger.info(
        "next: cd %s && tandem train && tandem run, then ask it over REST "
        "(docs/tutorial.md; the project's README says more)",
        args.path,
    )
    return EXIT_OK


def cmd_erase(args: argparse.Namespace) -> int:
    from bot.analytics.settings import AnalyticsSettings
    from bot.erasure import erase
    from bot.handoff.settings import HandoffSettings

    settings = _settings(args)
    env = settings.handoff_env()
    analytics = AnalyticsSettings.from_env(env, create_key=False)
    erasure = erase(
        args.sender,
        endpoints=settings.project_dir / settings.endpoints_file,
        env=env,
        base_dir=settings.project_dir,
        handoff_db_url=HandoffSettings.from_env(env).db_url,
        state_dir=settings.state_dir,
        log_dir=settings.log_dir,
        analytics_db_url=analytics.db_url,
        analytics_key=analytics.key,
        analytics_outbox=settings.analytics_outbox,
    )
    logger.info("tracker store: %d events deleted", erasure.tracker_events)
    rows = ", ".join(f"{n} {table}" for table, n in erasure.handoff_rows.items())
    logger.info("handoff database: %s deleted", rows or "nothing")
    rows = ", ".join(f"{n} {table}" for table, n in erasure.analytics_rows.items() if n)
    logger.info("analytics store: %s deleted", rows or "nothing")
    logger.info("analytics outbox: %d events deleted", erasure.outbox_events)
    if erasure.channel_references:
        logger.info("Teams conversation reference deleted")
    lines = ", ".join(f"{n} from {name}" for name, n in erasure.log_lines.items() if n)
    logger.info("logs: %s", f"lines removed: {lines}" if lines else "no line named it")
    if not erasure.anything:
        logger.info(
            "Nothing was stored under %r. Conversation ids carry their channel's prefix; "
            "copy the id from the agent console or the tracker store.",
            args.sender,
        )
    return EXIT_OK


def cmd_analytics(args: argparse.Namespace) -> int:
    if args.tool == "consume":
        from bot.analytics import consumer

        return consumer.main(["consume", *args.tool_args])
    from bot.analytics import clusters

    return clusters.main(args.tool_args)


def cmd_report(args: argparse.Namespace) -> int:
    from bot.analytics import report

    return report.run(args)


def _refuse_open_api(settings: Settings) -> None:
    """Rasa's HTTP API can rewrite any conversation: never expose it unauthenticated."""
    settings.check_exposure()


COMMANDS = {
    "run": cmd_run,
    "train": cmd_train,
    "shell": cmd_shell,
    "new": cmd_new,
    "erase": cmd_erase,
    "analytics": cmd_analytics,
    "report": cmd_report,
}


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
    except StoreError as e:
        logger.error("%s", e)
        return EXIT_STORE
    except TandemError as e:
        logger.error("%s", e)
        return EXIT_CONFIG


if __name__ == "__main__":
    sys.exit(main())
