"""Settings of the handoff service, read from ``TANDEM_HANDOFF_*`` variables here only.

==================================  ===============================================
``TANDEM_HANDOFF_DB_URL``           SQLAlchemy URL; ``sqlite:///<state>/handoff.db``
                                    by default, ``postgresql+psycopg://...`` in production
``TANDEM_HANDOFF_HOST`` / ``_PORT``  bind address (127.0.0.1, 5070)
``TANDEM_HANDOFF_RASA_URL``         Rasa's HTTP API (http://127.0.0.1:5005)
``TANDEM_HANDOFF_RASA_TOKEN``       the engine's ``TANDEM_RASA_TOKEN``, sent as a bearer token
``TANDEM_HANDOFF_SERVICE_TOKEN``    shared secret of the engine and action server (required)
``TANDEM_HANDOFF_HOURS_FILE``       the knowledge page whose sentence gives the support
                                    hours (``support_hours:`` in assistant.yml)
``TANDEM_HANDOFF_OPEN_HOURS``       overrides it: ``always`` or ``mon-sat 09:00-18:00, ...``
``TANDEM_HANDOFF_TIMEZONE``         IANA zone of the open hours (Europe/London)
``TANDEM_HANDOFF_STATUS_CHANNELS``  channels whose customers get live queue updates
                                    (``webchat``; others ignore text-less messages)
``TANDEM_HANDOFF_MAX_QUEUE``        waiting customers before new ones get a ticket (20)
``TANDEM_HANDOFF_SESSION_IDLE_MIN`` console session idle timeout (30)
``TANDEM_HANDOFF_SESSION_MAX_H``    console session absolute lifetime (8)
``TANDEM_HANDOFF_SWEEP_S``          seconds between syncs of every active handoff (2)
``TANDEM_HANDOFF_SECURE_COOKIES``   ``true`` unless the host is loopback
``TANDEM_HANDOFF_PUBLIC_ORIGIN``    ``https://console.example.com`` behind a proxy
``TANDEM_HANDOFF_ASSISTANT_NAME``   the bot's name in customer-facing messages
                                    (``assistant:`` in assistant.yml)
``TANDEM_HANDOFF_CSAT``             ask the customer for a 1-5 rating when a person
                                    returns or resolves the conversation (``true``)
``TANDEM_HANDOFF_LIVE``             how console live updates reach every service process:
                                    ``auto`` (PostgreSQL's NOTIFY when the database is
                                    PostgreSQL, else this process only), ``postgres``,
                                    ``process``
``TANDEM_ANALYTICS_DB_URL``         the analytics store the supervisors' dashboard reads
                                    (as :mod:`bot.analytics.settings` has it)
==================================  ===============================================

``TANDEM_STATE_DIR`` (shared with the rest of Tandem) places the default SQLite
file; the project (``TANDEM_PROJECT_DIR`` or the current folder, see
:mod:`bot.settings`) gives the defaults from its ``assistant.yml`` and, without
one, the service runs with a neutral name and the team always there.
Everything else receives a :class:`HandoffSettings`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bot.analytics import settings as analytics_settings
from bot.env import LOOPBACK_HOSTS, env_bool, env_float, env_int
from bot.errors import ConfigError
from bot.handoff.hours import OpenHours, spec_from_page
from bot.sdk.assistant import FILENAME, load_assistant
from bot.settings import project_dir_from

PREFIX = "TANDEM_HANDOFF_"
MIN_SERVICE_TOKEN_CHARS = 16
DEFAULT_ASSISTANT_NAME = "the assistant"
DEFAULT_TIMEZONE = "Europe/London"
LIVE_BACKENDS = ("auto", "postgres", "process")


def _int(env: Mapping[str, str], name: str, default: int, *, low: int, high: int) -> int:
    return env_int(env, PREFIX + name, default, low=low, high=high)


def _float(env: Mapping[str, str], name: str, default: float, *, low: float, high: float) -> float:
    return env_float(env, PREFIX + name, default, low=low, high=high)


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    return env_bool(env, PREFIX + name, default)


def default_db_url(state_dir: Path) -> str:
    return f"sqlite:///{state_dir / 'handoff.db'}"


def _project_defaults(env: Mapping[str, str]) -> tuple[Path, str, Path | None]:
    """(project folder, assistant name, support-hours page) from the project's assistant.yml."""
    project = project_dir_from(env)
    if not (project / FILENAME).exists():
        return project, DEFAULT_ASSISTANT_NAME, None
    assistant = load_assistant(project)
    return project, assistant.name, assistant.support_hours


def open_hours_from_env(env: Mapping[str, str], *, hours_file: Path | None = None) -> OpenHours:
    """``OPEN_HOURS`` if set, else the hours written in ``HOURS_FILE`` (the support page),
    else in ``hours_file`` (default: ``support_hours:`` of the project's assistant.yml).

    Without any (a kit user with no such page) the team is always there.
    """
    timezone = env.get(PREFIX + "TIMEZONE") or DEFAULT_TIMEZONE
    spec = env.get(PREFIX + "OPEN_HOURS")
    if spec:
        return OpenHours.parse(spec, timezone=timezone)
    named = env.get(PREFIX + "HOURS_FILE")
    if not named and hours_file is None:
        hours_file = _project_defaults(env)[2]
    path = Path(named) if named else hours_file
    if path is None:
        return OpenHours.parse("always", timezone=timezone)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        if named:
            raise ConfigError(
                f"{PREFIX}HOURS_FILE={named!r} cannot be read ({e.strerror}); name the knowledge "
                f"page with the support hours, or set {PREFIX}OPEN_HOURS instead."
            ) from e
        return OpenHours.parse("always", timezone=timezone)
    return OpenHours.parse(spec_from_page(text, source=str(path)), timezone=timezone)


@dataclass(frozen=True)
class HandoffSettings:
    """Everything the service needs; defaults are the embedded, loopback-only run."""

    db_url: str = field(default_factory=lambda: default_db_url(Path.cwd().resolve() / ".tandem"))
    host: str = "127.0.0.1"
    port: int = 5070
    rasa_url: str = "http://127.0.0.1:5005"
    rasa_token: str = field(default="", repr=False)
    service_token: str = field(default="", repr=False)
    open_hours: OpenHours = field(default_factory=OpenHours)
    status_channels: tuple[str, ...] = ("webchat",)
    online_window_s: float = 120.0
    max_queue: int = 20
    max_requests_per_sender: int = 3
    max_waiting_per_ip: int = 3
    session_idle_min: int = 30
    session_max_h: int = 8
    sweep_s: float = 2.0
    secure_cookies: bool = False
    public_origin: str = ""
    assistant_name: str = DEFAULT_ASSISTANT_NAME
    rasa_timeout_s: float = 5.0
    login_failure_delay_s: float = 1.0
    keepalive_s: float = 15.0
    assist_deadline_s: float = 8.0
    csat: bool = True
    metrics_token: str = field(default="", repr=False)
    """``TANDEM_METRICS_TOKEN`` (shared by the three servers): the bearer token of
    ``GET /metrics``; unset, only this machine may scrape (:mod:`bot.metrics`)."""
    analytics_db_url: str = field(
        default_factory=lambda: analytics_settings.AnalyticsSettings().db_url
    )
    live: str = "auto"
    """``TANDEM_HANDOFF_LIVE``: see :attr:`live_backend`."""

    @property
    def live_backend(self) -> str:
        """``postgres``: console events travel between processes through the handoff
        database's NOTIFY (:mod:`bot.handoff.relay`); ``process``: they stay in this one."""
        if self.live == "auto":
            return "postgres" if self.db_url.startswith("postgresql") else "process"
        return self.live

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> HandoffSettings:
        env = os.environ if env is None else env
        project, assistant_name, hours_file = _project_defaults(env)
        state_dir = Path(env.get("TANDEM_STATE_DIR") or project / ".tandem")
        host = env.get(PREFIX + "HOST") or cls.host
        return cls(
            db_url=env.get(PREFIX + "DB_URL") or default_db_url(state_dir),
            host=host,
            port=_int(env, "PORT", cls.port, low=1, high=65535),
            rasa_url=(env.get(PREFIX + "RASA_URL") or cls.rasa_url).rstrip("/"),
            rasa_token=env.get(PREFIX + "RASA_TOKEN", ""),
            service_token=env.get(PREFIX + "SERVICE_TOKEN", ""),
            open_hours=open_hours_from_env(env, hours_file=hours_file),
            status_channels=tuple(
                c.strip()
                for c in env.get(PREFIX + "STATUS_CHANNELS", ",".join(cls.status_channels)).split(
                    ","
                )
                if c.strip()
            ),
            max_queue=_int(env, "MAX_QUEUE", cls.max_queue, low=1, high=100_000),
            max_requests_per_sender=_int(
                env, "MAX_REQUESTS_PER_SENDER", cls.max_requests_per_sender, low=1, high=1000
            ),
            max_waiting_per_ip=_int(
                env, "MAX_WAITING_PER_IP", cls.max_waiting_per_ip, low=1, high=100_000
            ),
            session_idle_min=_int(env, "SESSION_IDLE_MIN", cls.session_idle_min, low=1, high=1440),
            session_max_h=_int(env, "SESSION_MAX_H", cls.session_max_h, low=1, high=168),
            sweep_s=_float(env, "SWEEP_S", cls.sweep_s, low=0.1, high=3600),
            secure_cookies=_bool(env, "SECURE_COOKIES", host not in LOOPBACK_HOSTS),
            public_origin=(env.get(PREFIX + "PUBLIC_ORIGIN") or "").rstrip("/"),
            assistant_name=env.get(PREFIX + "ASSISTANT_NAME") or assistant_name,
            csat=_bool(env, "CSAT", cls.csat),
            metrics_token=env.get("TANDEM_METRICS_TOKEN", ""),
            analytics_db_url=(
                env.get(analytics_settings.PREFIX + "DB_URL")
                or analytics_settings.default_db_url(state_dir)
            ),
            live=(env.get(PREFIX + "LIVE") or cls.live).strip().lower(),
        )

    def check(self) -> HandoffSettings:
        """Fail at start-up, with what to set, rather than on the first request."""
        if len(self.service_token) < MIN_SERVICE_TOKEN_CHARS:
            raise ConfigError(
                f"{PREFIX}SERVICE_TOKEN is missing or shorter than {MIN_SERVICE_TOKEN_CHARS} "
                "characters. `make run` generates one; otherwise set it to the same random string "
                "for the handoff service, Rasa's endpoints.yml and the action server "
                "(python -c 'import secrets; print(secrets.token_urlsafe(32))')."
            )
        if not self.rasa_url.startswith(("http://", "https://")):
            raise ConfigError(f"{PREFIX}RASA_URL={self.rasa_url!r} must start with http(s)://.")
        if self.public_origin and not self.public_origin.startswith(("http://", "https://")):
            raise ConfigError(
                f"{PREFIX}PUBLIC_ORIGIN={self.public_origin!r} must look like https://host[:port]."
            )
        if self.live not in LIVE_BACKENDS:
            raise ConfigError(
                f"{PREFIX}LIVE={self.live!r} is not one of {', '.join(LIVE_BACKENDS)}; "
                "leave it unset (auto) unless you must force one."
            )
        if self.live == "postgres" and not self.db_url.startswith("postgresql"):
            raise ConfigError(
                f"{PREFIX}LIVE=postgres needs the handoff database on PostgreSQL "
                f"({PREFIX}DB_URL=postgresql+psycopg://...); unset it to keep live updates "
                "in one process."
            )
        return self
