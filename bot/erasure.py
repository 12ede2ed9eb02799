"""Right to erasure: delete one customer's conversation from every Tandem store.

``python -m bot erase --sender ID`` removes, for the conversation id ``ID``
(as Rasa stores it, channel prefix included):

* every event of that conversation from the tracker store ``endpoints.yml``
  configures (SQLite by default, PostgreSQL or any SQL URL otherwise);
* its handoffs, transcript lines, notes, tickets and their audit entries from
  the handoff database (``TANDEM_HANDOFF_DB_URL``), through
  :meth:`bot.handoff.store.Store.erase_conversation`;
* its events still waiting in the analytics outbox (``TANDEM_ANALYTICS_OUTBOX``,
  queued or set aside as dead letters: :meth:`bot.contract.outbox.Outbox.erase`),
  before the analytics store, so that none is ingested again behind its back;
* its rows in the analytics store (``TANDEM_ANALYTICS_DB_URL``), found by the
  keyed hash of the id (:meth:`bot.analytics.store.AnalyticsStore.erase`);
* its Teams conversation reference (``teams_conversations.db``), if any;
* every line that names it from the log files under the state directory's
  ``logs/``, rewritten atomically (a new owner-only file replaces the old).

SQLite deletes run with ``secure_delete`` and checkpoint the write-ahead log,
so the erased bytes are overwritten in the files, not only unlinked from the
tree. PostgreSQL keeps dead rows until it vacuums.

Concurrency: SQLite and PostgreSQL take concurrent deletes safely, so the
databases need no stopped engine. The log files do: ``bot run`` keeps them
open for appending, and a replaced file would leave the running servers
writing into the old, unlinked one. The supervisor holds a shared ``flock``
on each log it writes; erasure needs an exclusive one and refuses to start,
before touching anything, while ``bot run`` is up.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import sqlite3
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import yaml
from sqlalchemy import Engine, create_engine, event, inspect, make_url, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import sessionmaker

from bot.errors import ConfigError, StoreError

_ENV_VAR = re.compile(r"\$\{([^}]+)\}")
_SQL_TYPES = ("sql", "bot.engine.tracker_store.RedactingSQLTrackerStore")


@dataclass
class Erasure:
    """What was removed, per store."""

    tracker_events: int = 0
    handoff_rows: dict[str, int] = field(default_factory=dict)
    channel_references: int = 0
    log_lines: dict[str, int] = field(default_factory=dict)
    analytics_rows: dict[str, int] = field(default_factory=dict)
    outbox_events: int = 0

    @property
    def anything(self) -> bool:
        return bool(
            self.tracker_events
            or any(self.handoff_rows.values())
            or any(self.analytics_rows.values())
            or self.outbox_events
            or self.channel_references
            or any(self.log_lines.values())
        )


# tracker store ---------------------------------------------------------------------------


def _expand(value: Any, env: Mapping[str, str]) -> Any:
    """``${VAR}`` in a string from ``env``, as Rasa expands endpoints.yml."""
    if not isinstance(value, str):
        return value

    def variable(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in env:
            raise ConfigError(f"endpoints.yml uses ${{{name}}}, which is not set.")
        return env[name]

    return _ENV_VAR.sub(variable, value)


def tracker_store_url(endpoints: Path, env: Mapping[str, str], *, base_dir: Path) -> URL:
    """The database of the SQL tracker store ``endpoints`` configures (Rasa's rules)."""
    try:
        config = (yaml.safe_load(endpoints.read_text(encoding="utf-8")) or {})["tracker_store"]
    except (OSError, yaml.YAMLError, KeyError, TypeError) as e:
        raise ConfigError(f"No tracker_store section could be read from {endpoints}: {e}") from e
    config = {key: _expand(value, env) for key, value in config.items()}
    kind = str(config.get("type", ""))
    if kind.lower() not in (t.lower() for t in _SQL_TYPES):
        raise ConfigError(
            f"The tracker store in {endpoints} is {kind!r}; erase handles SQL stores only. "
            "Delete the conversation's key in that store by hand."
        )
    host = config.get("url") or config.get("host")
    if host and "://" in str(host):
        return make_url(str(host))
    dialect = str(config.get("dialect") or "sqlite")
    if dialect in ("postgresql", "postgres"):
        dialect = "postgresql+psycopg"  # psycopg 3 is the actions venv's driver
    database = str(config.get("db") or "rasa.db")
    if dialect == "sqlite" and database != ":memory:":
        database = str((base_dir / database).resolve())
    return URL.create(
        dialect,
        username=config.get("username"),
        password=config.get("password"),
        host=host,
        port=int(config["port"]) if config.get("port") else None,
        database=database,
        query=config.get("query") or {},
    )


def _engine(url: URL) -> Engine:
    """An engine that fails fast when the server is down; SQLite overwrites what it deletes."""
    if url.get_backend_name() == "postgresql":
        engine = create_engine(url, connect_args={"connect_timeout": 10})
    else:
        engine = create_engine(url)
    if engine.dialect.name == "sqlite":

        def pragmas(connection: Any, _record: Any) -> None:
            cursor = connection.cursor()
            cursor.execute("PRAGMA secure_delete=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        event.listen(engine, "connect", pragmas)
    return engine


def _checkpoint(engine: Engine) -> None:
    """Fold SQLite's write-ahead log (it holds old page copies) into the file, then empty it."""
    if engine.dialect.name == "sqlite":
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


def _missing_sqlite_file(url: URL) -> bool:
    return url.get_backend_name() == "sqlite" and not Path(url.database or "").is_file()


def erase_tracker(url: URL, conversation_id: str) -> int:
    """Delete the conversation's events; the number deleted."""
    if _missing_sqlite_file(url):
        return 0
    engine = _engine(url)
    try:
        if not inspect(engine).has_table("events"):
            return 0
        with engine.begin() as connection:
            result = connection.execute(
                text("DELETE FROM events WHERE sender_id = :sender"), {"sender": conversation_id}
            )
        _checkpoint(engine)
        return int(result.rowcount or 0)
    except SQLAlchemyError as e:
        raise StoreError(
            f"Could not erase from the tracker store {url.render_as_string(hide_password=True)}: "
            f"{e}. Check that the database is up and endpoints.yml points at it."
        ) from e
    finally:
        engine.dispose()


# handoff database ------------------------------------------------------------------------


def erase_handoff(db_url: str, conversation_id: str) -> dict[str, int]:
    """Delete the conversation from the handoff database; rows deleted per table."""
    from bot.handoff.store import Store

    url = make_url(db_url)
    if _missing_sqlite_file(url):
        return {}
    engine = _engine(url)
    try:
        if not inspect(engine).has_table("handoffs"):
            return {}
        store = Store(sessionmaker(engine, expire_on_commit=False))
        counts = store.erase_conversation(conversation_id)
        if any(counts.values()):  # who erased how much, when; not whom
            store.audit("erase", actor="python -m bot erase", detail=counts)
        _checkpoint(engine)
        return counts
    except SQLAlchemyError as e:
        raise StoreError(
            f"Could not erase from the handoff database {url.render_as_string(hide_password=True)}:"
            f" {e}. Check that it is up and TANDEM_HANDOFF_DB_URL points at it."
        ) from e
    finally:
        engine.dispose()


# analytics store -------------------------------------------------------------------------


def erase_analytics(db_url: str, key: str, conversation_id: str) -> dict[str, int]:
    """Delete the conversation from the analytics store; rows deleted per table."""
    from bot.analytics.store import AnalyticsStore

    url = make_url(db_url)
    if _missing_sqlite_file(url):
        return {}
    engine = _engine(url)
    try:
        if not inspect(engine).has_table("turns"):
            return {}
        if not key:
            raise StoreError(
                "The analytics store exists but its key does not: set TANDEM_ANALYTICS_KEY (or "
                "restore <state>/analytics.key) so that the conversation's hashed id can be found."
            )
        counts = AnalyticsStore(engine, key).erase(conversation_id)
        _checkpoint(engine)
        return counts
    except SQLAlchemyError as e:
        raise StoreError(
            f"Could not erase from the analytics store {url.render_as_string(hide_password=True)}:"
            f" {e}. Check that it is up and TANDEM_ANALYTICS_DB_URL points at it."
        ) from e
    finally:
        engine.dispose()


def erase_outbox(path: Path, conversation_id: str) -> int:
    """Delete the conversation's events waiting in the analytics outbox; the number deleted."""
    from bot.contract.errors import ContractError
    from bot.contract.outbox import Outbox

    if not path.is_file():
        return 0
    try:
        with Outbox(path) as outbox:
            return outbox.erase(conversation_id)
    except (ContractError, sqlite3.Error, OSError) as e:
        raise StoreError(
            f"Could not erase from the analytics outbox {path}: {e}. Check that the file is "
            "readable and writable by this user and TANDEM_ANALYTICS_OUTBOX points at it."
        ) from e


# channel stores --------------------------------------------------------------------------

# bot/channels/teams.py keeps each Teams conversation's reference (ids, the
# user's name) here, by default, to deliver an agent's later replies.
TEAMS_REFERENCES = ("teams_conversations.db", "teams_conversations")


def erase_channel_references(state_dir: Path, conversation_id: str) -> int:
    """Delete the conversation's stored channel reference (Teams); rows deleted."""
    name, table = TEAMS_REFERENCES
    url = URL.create("sqlite", database=str(state_dir / name))
    if _missing_sqlite_file(url):
        return 0
    engine = _engine(url)
    try:
        if not inspect(engine).has_table(table):
            return 0
        with engine.begin() as connection:
            result = connection.execute(
                text(f"DELETE FROM {table} WHERE sender_id = :sender"),  # noqa: S608 - constant
                {"sender": conversation_id},
            )
        return int(result.rowcount or 0)
    except SQLAlchemyError as e:
        raise StoreError(f"Could not erase from {url.database}: {e}") from e
    finally:
        engine.dispose()


# logs ------------------------------------------------------------------------------------


def id_pattern(conversation_id: str) -> re.Pattern[str]:
    """The id as logs write it: as is, percent-encoded (URLs) or JSON-escaped."""
    forms = {
        conversation_id,
        quote(conversation_id, safe=""),
        quote(conversation_id),
        json.dumps(conversation_id)[1:-1],
    }
    alternatives = "|".join(re.escape(f) for f in sorted(forms, key=len, reverse=True))
    return re.compile(rf"(?<![\w%-])(?:{alternatives})(?![\w%-])")


@contextmanager
def _exclusive(path: Path) -> Iterator[int]:
    """An exclusive ``flock`` on ``path``; StoreError if a running ``bot run`` holds it."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError as e:
        raise StoreError(f"Cannot open the log {path}: {e}. Run erase as its owner.") from e
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as e:
            raise StoreError(
                f"{path} is open in a running `bot run`; stop it (Ctrl-C) and erase again. "
                "Its servers append to these logs, and a rewritten file would lose what they "
                "write next."
            ) from e
        yield fd
    finally:
        os.close(fd)


def _rewrite_without(path: Path, pattern: re.Pattern[str]) -> int:
    """Replace ``path`` by a copy without the matching lines; the number removed."""
    with path.open(encoding="utf-8", errors="surrogateescape", newline="") as f:
        lines = f.readlines()
    kept = [line for line in lines if not pattern.search(line)]
    removed = len(lines) - len(kept)
    if removed:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".erase")
        try:
            with open(fd, "w", encoding="utf-8", errors="surrogateescape", newline="") as f:
                f.writelines(kept)
                f.flush()
                os.fsync(f.fileno())
            os.chmod(tmp, 0o600)
            os.replace(tmp, path)
        except OSError as e:
            Path(tmp).unlink(missing_ok=True)
            raise StoreError(f"Could not rewrite the log {path}: {e}; it is unchanged.") from e
    return removed


def log_files(log_dir: Path) -> list[Path]:
    if not log_dir.is_dir():
        return []
    return sorted(p for p in log_dir.rglob("*") if p.is_file() and not p.is_symlink())


def erase(
    conversation_id: str,
    *,
    endpoints: Path,
    env: Mapping[str, str],
    base_dir: Path,
    handoff_db_url: str,
    state_dir: Path,
    log_dir: Path,
    analytics_db_url: str | None = None,
    analytics_key: str = "",
    analytics_outbox: Path | None = None,
) -> Erasure:
    """Erase one conversation from the tracker store, the handoff database, the analytics
    outbox and store (when ``analytics_outbox`` and ``analytics_db_url`` are given) and the logs.

    Every log file is locked first, so a running ``bot run`` stops the erasure
    before anything is touched; the logs are rewritten last, once both
    databases are done. Each step is idempotent: after a failure, run it again.
    """
    if not conversation_id:
        raise ConfigError("Give the conversation id to erase: --sender ID.")
    tracker_url = tracker_store_url(endpoints, env, base_dir=base_dir)
    files = log_files(log_dir)
    with ExitStack() as locks:
        for path in files:
            locks.enter_context(_exclusive(path))
        tracker_events = erase_tracker(tracker_url, conversation_id)
        handoff_rows = erase_handoff(handoff_db_url, conversation_id)
        outbox_events = erase_outbox(analytics_outbox, conversation_id) if analytics_outbox else 0
        analytics_rows = (
            erase_analytics(analytics_db_url, analytics_key, conversation_id)
            if analytics_db_url
            else {}
        )
        references = erase_channel_references(state_dir, conversation_id)
        pattern = id_pattern(conversation_id)
        log_lines = {str(p.relative_to(log_dir)): _rewrite_without(p, pattern) for p in files}
    return Erasure(
        tracker_events, handoff_rows, references, log_lines, analytics_rows, outbox_events
    )
