"""Settings of the tools side (CLI, supervisor) and of the action server, read from
``TANDEM_*`` variables.

On the actions venv's side, environment variables are read here and only here
(plus :mod:`generators.settings` and :mod:`bot.handoff.settings`, which parse
their own prefixes and are called from here); everything else receives a
:class:`Settings` or :class:`ActionSettings` object. Defaults give the embedded
run: loopback only, SQLite under ``.tandem/``, Rasa on 5005 and the action
server on 5055. The project is the current directory unless
``TANDEM_PROJECT_DIR`` names another; the models, state and credentials default
to folders inside it. A bad value raises :class:`~bot.errors.ConfigError`
naming the variable and the fix.
"""

from __future__ import annotations

import os
import secrets
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from bot.env import LOOPBACK_HOSTS, env_float, env_int
from bot.errors import ConfigError

if TYPE_CHECKING:  # the engine venv imports this module too, without the generator stack
    from bot.sdk.assistant import Assistant
    from generators.orders import OrderSettings
    from generators.settings import TextSettings

PROJECT_ENV = "TANDEM_PROJECT_DIR"


def read_environment() -> Mapping[str, str]:
    """A read-only copy of this process's environment: the one place that reads it."""
    return MappingProxyType(dict(os.environ))


def default_venv_dir(project: Path) -> Path:
    """The folder holding the ``engine/`` and ``actions/`` venvs when TANDEM_VENV_DIR is unset.

    The project's own ``.venv`` if it has an engine venv, else the folder of the venv
    this process runs in (``tandem`` installed in ``…/venvs/actions`` finds
    ``…/venvs/engine``), else the project's ``.venv`` (where ``make setup`` builds them).
    """
    local = project / ".venv"
    if (local / "engine").is_dir():
        return local
    running = Path(sys.prefix).parent
    if (running / "engine" / "bin" / "python").exists():
        return running
    return local


def project_dir_from(env: Mapping[str, str]) -> Path:
    """``TANDEM_PROJECT_DIR``, else the current directory: where ``assistant.yml`` is."""
    raw = env.get(PROJECT_ENV)
    if not raw:
        return Path.cwd().resolve()
    path = Path(raw).expanduser().resolve()
    if not path.is_dir():
        raise ConfigError(
            f"{PROJECT_ENV}={raw!r} is not a folder; point it at the assistant project "
            "(the folder holding assistant.yml), or unset it to use the current directory."
        )
    return path


@dataclass(frozen=True)
class Settings:
    """Where things live and which ports the servers use."""

    project_dir: Path = field(default_factory=lambda: Path.cwd().resolve())
    state_dir: Path = field(default_factory=lambda: Path.cwd().resolve() / ".tandem")
    venv_dir: Path = field(default_factory=lambda: Path.cwd().resolve() / ".venv")
    models_dir: Path = field(default_factory=lambda: Path.cwd().resolve() / "models")
    # Rasa's channel configuration; tests point it at a copy wired to stand-ins.
    credentials: Path = field(default_factory=lambda: Path.cwd().resolve() / "credentials.yml")
    host: str = "127.0.0.1"
    rasa_port: int = 5005
    action_port: int = 5055
    ready_timeout_s: float = 240.0
    handoff_port: int = 5070
    # Secrets shared by Tandem's own processes; random per run unless set.
    service_token: str = field(default_factory=lambda: secrets.token_urlsafe(32), repr=False)
    stream_token: str = field(default_factory=lambda: secrets.token_urlsafe(32), repr=False)
    # The order lookup's verification key: one for every action server process, or a
    # customer verified by one is refused by the next (generators/orders.py).
    orders_verify_key: str = field(default_factory=lambda: secrets.token_urlsafe(32), repr=False)
    # Rasa's HTTP API takes `Authorization: Bearer <rasa_token>` on every call
    # (bot/engine/api_guard.py); random per run unless set, e.g. to call it by hand.
    rasa_token: str = field(default_factory=lambda: secrets.token_urlsafe(32), repr=False)
    # Needed only off loopback: the web chat's visitor JWT key.
    jwt_secret: str = field(default="", repr=False)
    # Optional: a separate key of JWTs for Rasa's API (never the visitor key).
    api_jwt_secret: str = field(default="", repr=False)
    # "embedded" (endpoints.yml: SQLite, one process) or "production"
    # (endpoints.production.yml: PostgreSQL, Redis, RabbitMQ; docs/scaling.md).
    profile: str = "embedded"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        base = cls()
        project = project_dir_from(env)
        return cls(
            project_dir=project,
            state_dir=Path(env.get("TANDEM_STATE_DIR") or project / ".tandem").resolve(),
            venv_dir=Path(env.get("TANDEM_VENV_DIR") or default_venv_dir(project)).resolve(),
            models_dir=Path(env.get("TANDEM_MODELS_DIR") or project / "models").resolve(),
            credentials=Path(
                env.get("TANDEM_CREDENTIALS") or project / "credentials.yml"
            ).resolve(),
            host=env.get("TANDEM_HOST") or base.host,
            rasa_port=env_int(env, "TANDEM_RASA_PORT", base.rasa_port),
            action_port=env_int(env, "TANDEM_ACTION_PORT", base.action_port),
            ready_timeout_s=float(
                env_int(env, "TANDEM_READY_TIMEOUT", int(base.ready_timeout_s), high=3600)
            ),
            handoff_port=env_int(env, "TANDEM_HANDOFF_PORT", base.handoff_port),
            service_token=env.get("TANDEM_HANDOFF_SERVICE_TOKEN") or base.service_token,
            stream_token=env.get("TANDEM_STREAM_TOKEN") or base.stream_token,
            orders_verify_key=env.get("TANDEM_ORDERS_VERIFY_KEY") or base.orders_verify_key,
            rasa_token=env.get("TANDEM_RASA_TOKEN") or base.rasa_token,
            jwt_secret=env.get("TANDEM_JWT_SECRET", ""),
            api_jwt_secret=env.get("TANDEM_API_JWT_SECRET", ""),
            profile=profile_from(env),
        )

    def with_overrides(self, **changes: Any) -> Settings:
        """A copy with the given fields replaced (``None`` values are ignored)."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    @property
    def on_loopback(self) -> bool:
        return self.host in LOOPBACK_HOSTS

    def check_exposure(self) -> None:
        """Off loopback, the web chat socket needs its key and every API token is long."""
        if self.on_loopback:
            return
        missing = [
            name
            for name, value in (
                ("TANDEM_JWT_SECRET", self.jwt_secret),
                ("TANDEM_RASA_TOKEN", self.rasa_token),
            )
            if len(value) < 32
        ]
        if 0 < len(self.api_jwt_secret) < 32:
            missing.append("TANDEM_API_JWT_SECRET")
        if missing:
            raise ConfigError(
                f"Serving on {self.host} exposes Rasa's HTTP API and the web chat socket, so "
                f"they require tokens: set {' and '.join(missing)} to random strings of at "
                "least 32 characters (e.g. `python -c 'import secrets; "
                "print(secrets.token_urlsafe(32))'`), or keep TANDEM_HOST=127.0.0.1."
            )

    @property
    def endpoints_file(self) -> str:
        """The engine's endpoints file, relative to the project: the profile's."""
        return PROFILES[self.profile]

    @property
    def engine_python(self) -> Path:
        return self.venv_dir / "engine" / "bin" / "python"

    @property
    def actions_python(self) -> Path:
        return self.venv_dir / "actions" / "bin" / "python"

    @property
    def tracker_db(self) -> Path:
        return self.state_dir / "tracker.db"

    @property
    def analytics_outbox(self) -> Path:
        """Events on their way to analytics (bot/contract/outbox.py)."""
        return self.state_dir / "analytics-outbox.db"

    @property
    def log_dir(self) -> Path:
        return self.state_dir / "logs"

    @property
    def action_server_url(self) -> str:
        return f"http://127.0.0.1:{self.action_port}/webhook"

    @property
    def handoff_url(self) -> str:
        return f"http://127.0.0.1:{self.handoff_port}"

    @property
    def rasa_url(self) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host  # noqa: S104
        return f"http://{host}:{self.rasa_port}"

    def engine_env(self, base: Mapping[str, str] | None = None) -> dict[str, str]:
        """Environment for every Tandem process.

        Holds the values endpoints.yml and credentials.yml expand (an unset
        ``${VAR}`` there is an error in Rasa, so each is set, possibly empty)
        and what the action server and the handoff service need to reach the
        others.
        """
        env = dict(os.environ if base is None else base)
        env.pop("TANDEM_API_JWT_SECRET", None)  # the engine's alone (rasa_env)
        env.update(QUIET_ENV)
        env["TANDEM_PROJECT_DIR"] = str(self.project_dir)  # where assistant.yml is
        env["TANDEM_ACTION_SERVER_URL"] = self.action_server_url
        env["TANDEM_TRACKER_DB"] = str(self.tracker_db)
        env["TANDEM_STATE_DIR"] = str(self.state_dir)
        env["TANDEM_HANDOFF_URL"] = self.handoff_url
        env["TANDEM_HANDOFF_SERVICE_TOKEN"] = self.service_token
        env["TANDEM_STREAM_TOKEN"] = self.stream_token
        env["TANDEM_ORDERS_VERIFY_KEY"] = self.orders_verify_key
        env["TANDEM_JWT_SECRET"] = self.jwt_secret
        env.setdefault("TANDEM_REST_TOKEN", "")  # the REST channel's shared secret, optional
        env["TANDEM_RASA_URL"] = self.rasa_url
        env["TANDEM_RASA_TOKEN"] = self.rasa_token
        env["TANDEM_ANALYTICS_OUTBOX"] = str(self.analytics_outbox)
        if self.profile == "production":
            for key, value in PRODUCTION_DEFAULTS.items():
                if not env.get(key):
                    env[key] = value
            if not env.get("TANDEM_SOCKETIO_REDIS_URL"):  # web chat across replicas
                env["TANDEM_SOCKETIO_REDIS_URL"] = socketio_redis_url(env)
            if not env.get("TANDEM_CHANNELS_REDIS_URL"):  # Slack and Teams across replicas
                env["TANDEM_CHANNELS_REDIS_URL"] = socketio_redis_url(env)
        return env

    def rasa_env(self) -> dict[str, str]:
        """The engine's settings (bot/engine/settings.py); its secrets travel here,
        never on its command line."""
        env = self.engine_env()
        env["TANDEM_HOST"] = self.host
        env["TANDEM_API_JWT_SECRET"] = self.api_jwt_secret
        return env

    def handoff_env(self, base: Mapping[str, str] | None = None) -> dict[str, str]:
        """The handoff service's settings (``TANDEM_HANDOFF_*``, see bot/handoff)."""
        env = self.engine_env(base)
        env.update(
            {
                "TANDEM_HANDOFF_HOST": self.host,
                "TANDEM_HANDOFF_PORT": str(self.handoff_port),
                "TANDEM_HANDOFF_RASA_URL": self.rasa_url,
                "TANDEM_HANDOFF_RASA_TOKEN": self.rasa_token,
            }
        )
        if self.profile == "production" and not env.get("TANDEM_HANDOFF_DB_URL"):
            # Several service processes share one database (and its NOTIFY).
            env["TANDEM_HANDOFF_DB_URL"] = handoff_postgres_url(env)
            if env.get("TANDEM_POSTGRES_PASSWORD"):
                env["PGPASSWORD"] = env["TANDEM_POSTGRES_PASSWORD"]  # libpq's; not in the URL
        return env


PROFILES: dict[str, str] = {
    "embedded": "endpoints.yml",
    "production": "endpoints.production.yml",
}
"""Each profile's endpoints file; ``TANDEM_PROFILE`` or ``bot run --profile`` picks one."""

# What endpoints.production.yml expands when the variable is unset or empty:
# the services on loopback. Passwords default to empty (a local trust setup);
# set them in the environment, never in the file.
PRODUCTION_DEFAULTS: dict[str, str] = {
    "TANDEM_POSTGRES_HOST": "127.0.0.1",
    "TANDEM_POSTGRES_PORT": "5432",
    "TANDEM_POSTGRES_DB": "tandem",
    "TANDEM_POSTGRES_USER": "tandem",
    "TANDEM_POSTGRES_PASSWORD": "",
    "TANDEM_REDIS_HOST": "127.0.0.1",
    "TANDEM_REDIS_PORT": "6379",
    "TANDEM_REDIS_DB": "0",
    "TANDEM_REDIS_PASSWORD": "",
    "TANDEM_REDIS_KEY_PREFIX": "tandem",
    "TANDEM_RABBITMQ_HOST": "127.0.0.1",
    "TANDEM_RABBITMQ_PORT": "5672",
    "TANDEM_RABBITMQ_USER": "guest",
    "TANDEM_RABBITMQ_PASSWORD": "guest",
}


def profile_from(env: Mapping[str, str]) -> str:
    """``TANDEM_PROFILE``: ``embedded`` (the default) or ``production``."""
    raw = (env.get("TANDEM_PROFILE") or "embedded").strip().lower()
    if raw not in PROFILES:
        raise ConfigError(
            f"TANDEM_PROFILE={raw!r} is not a profile; use one of {', '.join(PROFILES)} "
            "(docs/scaling.md), or unset it for the embedded default."
        )
    return raw


# Telemetry off, and the known harmless start-up noise of TensorFlow, SQLAlchemy
# and friends silenced so that what is left in the logs is worth reading.
QUIET_ENV: dict[str, str] = {
    "RASA_TELEMETRY_ENABLED": "false",
    "TF_CPP_MIN_LOG_LEVEL": "3",
    "TF_ENABLE_ONEDNN_OPTS": "0",
    "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
    "PYTHONWARNINGS": "ignore",
    "TOKENIZERS_PARALLELISM": "false",
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
}


@dataclass(frozen=True)
class ActionSettings:
    """What the action server reads from its environment, read once by the runtime.

    ``text`` and ``orders`` are the generators' own settings, parsed here from
    the same environment with the project's folders as defaults. ``env`` is a
    read-only copy of that environment for the assistant's own ``from_env``
    parsers (staff access, streaming, the store clock), so that they never
    touch ``os.environ`` themselves.
    """

    project_dir: Path
    state_dir: Path
    models_dir: Path
    text: TextSettings
    orders: OrderSettings
    rephrase_deadline_s: float = 1.5
    handoff_url: str = "http://127.0.0.1:5070"
    handoff_service_token: str = field(default="", repr=False)
    credit_artifact: Path | None = None
    """``None``: the scorecard shipped with :mod:`generators.credit`."""
    financing_terms: Path | None = None
    """``None``: the terms shipped with :mod:`generators.financing`."""
    mobile_catalog: Path | None = None
    stores_file: Path | None = None
    host: str = "127.0.0.1"
    env: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}), repr=False)

    @classmethod
    def from_env(
        cls, env: Mapping[str, str] | None = None, *, assistant: Assistant | None = None
    ) -> ActionSettings:
        """Parse ``env`` (``os.environ`` by default); ``assistant`` gives the data folders."""
        from generators.orders import OrderSettings
        from generators.rephrase import DEFAULT_DEADLINE_S
        from generators.settings import TextSettings

        env = read_environment() if env is None else MappingProxyType(dict(env))
        project = assistant.project_dir if assistant is not None else project_dir_from(env)
        models = Path(env.get("TANDEM_MODELS_DIR") or project / "models").resolve()
        state = Path(env.get("TANDEM_STATE_DIR") or project / ".tandem").resolve()
        catalog = assistant.catalog_dir if assistant is not None else None
        text = TextSettings.from_env(
            env,
            models_dir=models,
            knowledge_dir=assistant.knowledge_dir if assistant is not None else None,
            catalog_dir=catalog,
        )
        catalog = text.catalog_dir
        seed = catalog / "orders.yml" if catalog is not None else None
        return cls(
            project_dir=project,
            state_dir=state,
            models_dir=models,
            text=text,
            orders=OrderSettings.from_env(
                {"TANDEM_STATE_DIR": str(state), **env},
                seed_path=seed if seed is not None and seed.exists() else None,
            ),
            rephrase_deadline_s=env_float(
                env, "TANDEM_REPHRASE_DEADLINE_S", DEFAULT_DEADLINE_S, low=0.01, high=10.0
            ),
            handoff_url=env.get("TANDEM_HANDOFF_URL") or cls.handoff_url,
            handoff_service_token=env.get("TANDEM_HANDOFF_SERVICE_TOKEN", ""),
            credit_artifact=_path(env, "TANDEM_CREDIT_ARTIFACT"),
            financing_terms=_path(env, "TANDEM_FINANCING_TERMS"),
            mobile_catalog=_path(env, "TANDEM_MOBILE_CATALOG")
            or (catalog / "mobile_plans.yml" if catalog is not None else None),
            stores_file=_path(env, "TANDEM_STORES_FILE")
            or (catalog / "stores.yml" if catalog is not None else None),
            host=env.get("SANIC_HOST") or cls.host,
            env=env,
        )


def _path(env: Mapping[str, str], key: str) -> Path | None:
    raw = env.get(key)
    return Path(raw) if raw else None


def handoff_postgres_url(env: Mapping[str, str]) -> str:
    """The handoff service's database in the production profile: ``TANDEM_HANDOFF_DB``
    (``tandem_handoff``) on the profile's PostgreSQL server, without the password
    (libpq reads it from ``PGPASSWORD``). It must exist, owned by the user."""
    host, port = env["TANDEM_POSTGRES_HOST"], env["TANDEM_POSTGRES_PORT"]
    host = f"[{host}]" if ":" in host else host
    user = quote(env["TANDEM_POSTGRES_USER"], safe="")
    database = quote(env.get("TANDEM_HANDOFF_DB") or "tandem_handoff", safe="")
    return f"postgresql+psycopg://{user}@{host}:{port}/{database}"


def socketio_redis_url(env: Mapping[str, str]) -> str:
    """The web chat's Redis URL from the production profile's ``TANDEM_REDIS_*``.

    The password (URL-quoted) is in it, so it travels in the environment only;
    the channel logs it with the password masked.
    """
    password = env.get("TANDEM_REDIS_PASSWORD", "")
    auth = f":{quote(password, safe='')}@" if password else ""
    host, port = env["TANDEM_REDIS_HOST"], env["TANDEM_REDIS_PORT"]
    host = f"[{host}]" if ":" in host else host  # an IPv6 address
    return f"redis://{auth}{host}:{port}/{env['TANDEM_REDIS_DB']}"
