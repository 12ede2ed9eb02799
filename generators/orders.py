"""Order status: the order system a business plugs in, and how a customer proves an order is theirs.

:class:`OrderSystem` is the extension point: one required method,
:meth:`~OrderSystem.lookup`, from an order number to an :class:`Order` or
``None``. :class:`SQLiteOrderSystem` is the default (the ``orders`` table of
``docs/orders.md``, seeded from ``data/catalog/orders.yml`` for the demo);
:class:`FakeOrderSystem` holds orders in memory for tests. A business replaces
the table, or subclasses :class:`OrderSystem` to call its own order API.

Nothing about an order is shown before the customer gave the order number and
the e-mail address or postcode on it (:func:`matches`). The assistant never
keeps the e-mail or postcode itself between turns, only
:func:`verifier_digest`, a keyed hash, so what the tracker stores says nothing
about the customer; comparisons are constant-time.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
import re
import secrets
import sqlite3
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from contextlib import closing
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.errors import ConfigError
from generators.errors import GeneratorError, ModelLoadError

Status = Literal[
    "processing", "shipped", "delivered", "delayed", "cancelled", "ready_for_collection"
]
FINAL_STATUSES = frozenset({"delivered", "cancelled", "ready_for_collection"})

SCHEMA = """
CREATE TABLE IF NOT EXISTS orders (
    order_number    TEXT PRIMARY KEY,   -- normalised: 'VL-10023'
    email           TEXT NOT NULL,      -- as the customer gave it at checkout
    postcode        TEXT NOT NULL,      -- delivery (or billing) postcode
    status          TEXT NOT NULL CHECK (status IN ('processing', 'shipped', 'delivered',
                        'delayed', 'cancelled', 'ready_for_collection')),
    items           TEXT NOT NULL,      -- what a customer would call the order: 'Nova 8, case'
    placed_on       TEXT NOT NULL,      -- ISO dates, YYYY-MM-DD
    promised_by     TEXT,               -- the delivery (or collection) date promised
    delivered_on    TEXT,
    carrier         TEXT,
    tracking_number TEXT,
    collect_store   TEXT                -- click and collect: the store holding it
)
"""
_COLUMNS = (
    "order_number, email, postcode, status, items, placed_on, promised_by, "
    "delivered_on, carrier, tracking_number, collect_store"
)

_ORDER_NUMBER = re.compile(r"(?<![\w-])#?v\s?l[\s#:._-]*(\d{5})(?!\d)", re.IGNORECASE)
_BARE_NUMBER = re.compile(r"(?<![\w£$€.,-])#?(\d{5})(?![\d,.]\d|\d)")
_EMAIL = re.compile(r"[\w.%+-]+@[\w-]+(?:\.[\w-]+)+")
_POSTCODE = re.compile(r"(?<![\w])([a-z]{1,2}\d[a-z\d]?)\s*(\d[a-z]{2})(?![\w])", re.IGNORECASE)


class OrderError(GeneratorError):
    """The order system could not be read; the customer is offered a person instead."""


class Order(BaseModel):
    """One order as the assistant may describe it once the customer is verified."""

    model_config = ConfigDict(frozen=True)

    order_number: str = Field(pattern=r"^VL-\d{5}$")
    email: str = Field(min_length=3, repr=False)
    postcode: str = Field(min_length=5, repr=False)
    status: Status
    items: str
    placed_on: dt.date
    promised_by: dt.date | None = None
    delivered_on: dt.date | None = None
    carrier: str | None = None
    tracking_number: str | None = None
    collect_store: str | None = None

    def days_late(self, today: dt.date) -> int:
        """Days past the promised date of an order still on its way (0 when on time)."""
        if self.status in FINAL_STATUSES or self.promised_by is None:
            return 0
        return max(0, (today - self.promised_by).days)


class OrderSystem(ABC):
    """Where orders come from. Subclass and implement :meth:`lookup`."""

    @abstractmethod
    def lookup(self, order_number: str) -> Order | None:
        """The order with this normalised number (``VL-10023``), or ``None``.

        Raise :class:`OrderError` when the system cannot answer (down, timed out).
        """


class FakeOrderSystem(OrderSystem):
    """Orders in memory, for tests and demos; counts lookups in ``calls``."""

    def __init__(self, orders: Iterable[Order] = ()) -> None:
        self.orders = {o.order_number: o for o in orders}
        self.calls: list[str] = []

    def lookup(self, order_number: str) -> Order | None:
        self.calls.append(order_number)
        return self.orders.get(order_number)


class SQLiteOrderSystem(OrderSystem):
    """The ``orders`` table in a SQLite file (created, owner-only, on first use)."""

    def __init__(self, path: Path | str, *, timeout_s: float = 5.0) -> None:
        self.path = Path(path)
        self.timeout_s = timeout_s
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with closing(self._connect()) as db, db:
            db.executescript(SCHEMA)
        os.chmod(self.path, 0o600)

    def _connect(self) -> sqlite3.Connection:
        try:
            return sqlite3.connect(self.path, timeout=self.timeout_s)
        except sqlite3.Error as e:
            raise OrderError(f"Cannot open the order database {self.path}: {e}") from e

    def lookup(self, order_number: str) -> Order | None:
        try:
            with closing(self._connect()) as db:
                row = db.execute(
                    f"SELECT {_COLUMNS} FROM orders WHERE order_number = ?",  # noqa: S608
                    (order_number,),
                ).fetchone()
        except sqlite3.Error as e:
            raise OrderError(f"Reading order {order_number} from {self.path} failed: {e}") from e
        if row is None:
            return None
        return Order.model_validate(dict(zip(_COLUMNS.split(", "), row, strict=True)))

    def upsert(self, orders: Iterable[Order]) -> int:
        """Insert or replace ``orders``; returns how many were written."""
        columns = _COLUMNS.split(", ")
        rows = [tuple(_sql_value(getattr(order, column)) for column in columns) for order in orders]
        try:
            with closing(self._connect()) as db, db:
                db.executemany(
                    f"INSERT OR REPLACE INTO orders ({_COLUMNS}) "  # noqa: S608
                    f"VALUES ({', '.join('?' * len(columns))})",
                    rows,
                )
        except sqlite3.Error as e:
            raise OrderError(f"Writing orders to {self.path} failed: {e}") from e
        return len(rows)


def _sql_value(value: object) -> object:
    return value.isoformat() if isinstance(value, dt.date) else value


def load_demo_orders(path: Path | str, *, today: dt.date | None = None) -> list[Order]:
    """The orders of a demo file; its dates are days relative to ``today`` (the load day),
    so that "late" and "on its way" stay true whenever the demo runs."""
    today = today or dt.date.today()
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        orders = []
        for entry in raw["orders"]:
            row = dict(entry)
            for key in ("placed_on", "promised_by", "delivered_on"):
                if isinstance(row.get(key), int):
                    row[key] = today + dt.timedelta(days=row[key])
            row["order_number"] = normalise_order_number(str(row["order_number"]))
            orders.append(Order.model_validate(row))
        return orders
    except (OSError, yaml.YAMLError, KeyError, TypeError, ValidationError) as e:
        raise ModelLoadError(
            f"Could not read the demo orders at {path}: {e}. "
            "See data/catalog/orders.yml and docs/orders.md for the format.",
            path=path,
        ) from e


# --- what the customer typed --------------------------------------------------------


def normalise_order_number(text: str) -> str:
    """``"vl 10023"``, ``"#VL-10023"``, ``"VL10023"`` → ``"VL-10023"``; ``""`` if none."""
    match = _ORDER_NUMBER.search(text)
    return f"VL-{match.group(1)}" if match else ""


def find_order_number(text: str, *, bare: bool = False) -> str:
    """The order number in a message; with ``bare``, five digits alone count too
    (for the answer to "what's your order number?")."""
    found = normalise_order_number(text)
    if found or not bare:
        return found
    match = _BARE_NUMBER.search(text)
    return f"VL-{match.group(1)}" if match else ""


def normalise_email(value: str) -> str:
    return "".join(value.split()).lower()


def normalise_postcode(value: str) -> str:
    return "".join(value.split()).upper()


def find_verifier(text: str) -> tuple[Literal["email", "postcode"], str] | None:
    """The e-mail address or postcode in a message, normalised, or ``None``."""
    email = _EMAIL.search(text)
    if email:
        return "email", normalise_email(email.group())
    postcode = _POSTCODE.search(text)
    if postcode:
        return "postcode", normalise_postcode(postcode.group(1) + postcode.group(2))
    return None


def verifier_digest(key: bytes, kind: str, value: str) -> str:
    """What the conversation keeps of an e-mail or postcode: a keyed hash, never the value."""
    mac = hmac.new(key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()
    return f"{kind}:{mac}"


_NOBODY = Order(
    order_number="VL-00000",
    email="nobody@invalid",
    postcode="ZZ99 9ZZ",
    status="processing",
    items="",
    placed_on=dt.date(2000, 1, 1),
)


def matches(order: Order | None, digest: str, *, key: bytes) -> bool:
    """Whether ``digest`` (from :func:`verifier_digest`) is the order's e-mail or postcode.

    Both are compared, in constant time, whether or not the order exists, so a
    wrong number and a wrong e-mail take the same time and give the same answer.
    """
    target = order or _NOBODY
    given = digest.encode()
    email = verifier_digest(key, "email", normalise_email(target.email)).encode()
    postcode = verifier_digest(key, "postcode", normalise_postcode(target.postcode)).encode()
    found = hmac.compare_digest(given, email) | hmac.compare_digest(given, postcode)
    return found and order is not None


# --- configuration ------------------------------------------------------------------


@dataclass(frozen=True)
class OrderSettings:
    """``TANDEM_ORDERS_*``, read here only (see docs/orders.md)."""

    db_path: Path = Path(".tandem") / "orders.db"
    seed_path: Path | None = None
    """The demo orders loaded at start (the project's ``<catalog>/orders.yml``), if any."""
    max_attempts: int = 3
    verify_key: bytes = field(default_factory=lambda: secrets.token_bytes(32), repr=False)

    @classmethod
    def from_env(cls, env: Mapping[str, str], *, seed_path: Path | None = None) -> OrderSettings:
        """Parse ``env`` (the caller's environment: bot/settings.py reads it); ``seed_path``
        is the project's default seed, which ``TANDEM_ORDERS_SEED`` replaces ("" for none)."""
        state = Path(env.get("TANDEM_STATE_DIR") or ".tandem")
        seed = env.get("TANDEM_ORDERS_SEED")
        raw_attempts = env.get("TANDEM_ORDERS_MAX_ATTEMPTS") or "3"
        try:
            attempts = int(raw_attempts)
        except ValueError as e:
            raise ConfigError(
                f"TANDEM_ORDERS_MAX_ATTEMPTS={raw_attempts!r} is not a whole number; "
                "unset it or give one such as 3."
            ) from e
        if not 1 <= attempts <= 20:
            raise ConfigError(
                f"TANDEM_ORDERS_MAX_ATTEMPTS={attempts} is out of range; use 1 to 20 (default 3)."
            )
        key = env.get("TANDEM_ORDERS_VERIFY_KEY", "")
        base = cls()
        return replace(
            base,
            db_path=Path(env.get("TANDEM_ORDERS_DB") or state / "orders.db"),
            seed_path=(Path(seed) if seed else None) if seed is not None else seed_path,
            max_attempts=attempts,
            verify_key=key.encode() if key else base.verify_key,
        )

    def build(self) -> OrderSystem:
        """The SQLite order system, with the demo orders loaded when a seed file is set."""
        system = SQLiteOrderSystem(self.db_path)
        if self.seed_path is not None:
            system.upsert(load_demo_orders(self.seed_path))
        return system


# --- what the customer is told ------------------------------------------------------


def _day(date: dt.date) -> str:
    return f"{date:%A} {date.day} {date:%B}"


def describe(order: Order, today: dt.date) -> str:
    """One reply about a verified order: its status, the dates and how to follow it."""
    head = f"Your order {order.order_number} ({order.items})"
    late = order.days_late(today)
    tracking = (
        f" It's with {order.carrier}, tracking number {order.tracking_number}."
        if order.carrier and order.tracking_number
        else ""
    )
    if order.status == "delivered":
        when = f" on {_day(order.delivered_on)}" if order.delivered_on else ""
        carried = tracking.replace("It's with", "It came with")
        return (
            f"{head} was delivered{when}.{carried} If it isn't there, check with neighbours "
            "or your safe place; if it's still missing, a colleague can open a claim for you."
        )
    if order.status == "cancelled":
        return f"{head} was cancelled. Any payment is refunded within 5 working days."
    if order.status == "ready_for_collection":
        store = order.collect_store or "the store you chose"
        return (
            f"{head} is ready to collect at {store}. Bring the order confirmation and photo ID; "
            "we keep it for 7 days."
        )
    if late:
        promised = _day(order.promised_by) if order.promised_by else "earlier"
        days = "a day" if late == 1 else f"{late} days"
        return f"{head} should have arrived by {promised} and is {days} late, I'm sorry.{tracking}"
    expected = f" It's due by {_day(order.promised_by)}." if order.promised_by else ""
    if order.status == "shipped":
        return f"{head} is on its way.{tracking}{expected}"
    if order.status == "delayed":
        return f"{head} is delayed, I'm sorry.{tracking}{expected}"
    return (
        f"{head} is being prepared in our warehouse.{expected} "
        "You'll get a tracking link by e-mail when it ships."
    )
