"""Settings of the analytics store, read from ``TANDEM_ANALYTICS_*`` variables here only.

====================================  ================================================
``TANDEM_ANALYTICS_DB_URL``           SQLAlchemy URL; ``sqlite:///<state>/analytics.db``
                                      by default, ``postgresql+psycopg://...`` in
                                      production (in the handoff service's database, a
                                      schema of its own: see bot/analytics/db.py)
``TANDEM_ANALYTICS_KEY``              the secret behind the keyed hashes of conversation
                                      ids (at least 32 characters); without it a random
                                      key is made once and kept in ``<state>/analytics.key``
``TANDEM_ANALYTICS_RETENTION_DAYS``   rows older than this are pruned (400)
``TANDEM_ANALYTICS_ABANDON_AFTER_S``  a conversation silent this long with a form still
                                      open counts as abandoned (1800)
``TANDEM_ANALYTICS_SETTLE_EVERY_S``   how often the consumer marks such forms abandoned
                                      (60)
``TANDEM_ANALYTICS_PRUNE_EVERY_S``    how often the consumer prunes past the retention
                                      window, besides once at its start (3600)
====================================  ================================================

``TANDEM_STATE_DIR`` (shared with the rest of Tandem; default ``.tandem`` in
the project, see :mod:`bot.settings`) places the default SQLite file and the
generated key. Keep the key: with another one, a customer's later
conversations get new hashes (their history splits in two), and ``erase`` can
no longer find the rows of the old ones.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bot.env import env_float, env_int
from bot.errors import ConfigError
from bot.settings import project_dir_from

PREFIX = "TANDEM_ANALYTICS_"
KEY_FILE = "analytics.key"
MIN_KEY_CHARS = 32


def default_db_url(state_dir: Path) -> str:
    return f"sqlite:///{state_dir / 'analytics.db'}"


def state_dir_from(env: Mapping[str, str]) -> Path:
    """``TANDEM_STATE_DIR``, else ``.tandem`` in the project, as :mod:`bot.settings` has it."""
    return Path(env.get("TANDEM_STATE_DIR") or project_dir_from(env) / ".tandem").resolve()


def stored_key(state_dir: Path) -> str:
    """The key kept in ``<state>/analytics.key``, made (random, 0600) on first use."""
    path = state_dir / KEY_FILE
    try:
        state_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            key = path.read_text(encoding="utf-8").strip()
        else:
            key = secrets.token_hex(32)
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(key + "\n")
        path.chmod(0o600)
    except OSError as e:
        raise ConfigError(
            f"The analytics key file {path} cannot be read or created ({e.strerror}); make the "
            f"state folder writable by this user, or set {PREFIX}KEY to a random string of at "
            f"least {MIN_KEY_CHARS} characters."
        ) from e
    if len(key) < MIN_KEY_CHARS:
        raise ConfigError(
            f"The analytics key in {path} is shorter than {MIN_KEY_CHARS} characters; delete the "
            f"file to have a new one made (earlier conversations then get new hashes), or set "
            f"{PREFIX}KEY."
        )
    return key


def _key_from(state_dir: Path, create: bool) -> str:
    if not create and not (state_dir / KEY_FILE).exists():
        return ""
    return stored_key(state_dir)


@dataclass(frozen=True)
class AnalyticsSettings:
    """Where the analytics store is, the hashing key, and how long rows are kept."""

    db_url: str = field(default_factory=lambda: default_db_url(Path.cwd().resolve() / ".tandem"))
    key: str = field(default="", repr=False)
    retention_days: int = 400
    abandon_after_s: float = 1800.0
    settle_every_s: float = 60.0
    prune_every_s: float = 3600.0

    @classmethod
    def from_env(
        cls, env: Mapping[str, str] | None = None, *, create_key: bool = True
    ) -> AnalyticsSettings:
        """The settings; without ``create_key`` a missing key file leaves ``key`` empty
        (``erase`` reads the key of a store that may not exist and makes none)."""
        env = os.environ if env is None else env
        state_dir = state_dir_from(env)
        key = env.get(PREFIX + "KEY", "")
        if key and len(key) < MIN_KEY_CHARS:
            raise ConfigError(
                f"{PREFIX}KEY is shorter than {MIN_KEY_CHARS} characters; set a random one "
                "(python -c 'import secrets; print(secrets.token_hex(32))'), or unset it to "
                f"have one made and kept in {state_dir / KEY_FILE}."
            )
        return cls(
            db_url=env.get(PREFIX + "DB_URL") or default_db_url(state_dir),
            key=key or _key_from(state_dir, create_key),
            retention_days=env_int(
                env, PREFIX + "RETENTION_DAYS", cls.retention_days, low=1, high=36_500
            ),
            abandon_after_s=env_float(
                env, PREFIX + "ABANDON_AFTER_S", cls.abandon_after_s, low=1, high=30 * 86_400
            ),
            settle_every_s=env_float(
                env, PREFIX + "SETTLE_EVERY_S", cls.settle_every_s, low=0.1, high=86_400
            ),
            prune_every_s=env_float(
                env, PREFIX + "PRUNE_EVERY_S", cls.prune_every_s, low=1, high=7 * 86_400
            ),
        )
