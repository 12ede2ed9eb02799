"""The order system, its demo data, and how a customer proves an order is theirs."""

from __future__ import annotations

import datetime as dt
import sqlite3
import stat

import pytest

from bot.errors import ConfigError
from generators.errors import ModelLoadError
from generators.orders import (
    FakeOrderSystem,
    Order,
    OrderError,
    OrderSettings,
    OrderSystem,
    SQLiteOrderSystem,
    describe,
    find_order_number,
    find_verifier,
    load_demo_orders,
    matches,
    verifier_digest,
)
from tests.conftest import CATALOG_DIR

KEY = b"k" * 32
TODAY = dt.date(2025, 3, 12)  # a Wednesday


DEFAULT_SEED = CATALOG_DIR / "orders.yml"


def order(**changes: object) -> Order:
    fields: dict[str, object] = {
        "order_number": "VL-10023",
        "email": "Jo.Harper@Example.com",
        "postcode": "LS1 4AP",
        "status": "shipped",
        "items": "Nova 8",
        "placed_on": TODAY - dt.timedelta(days=2),
        "promised_by": TODAY + dt.timedelta(days=2),
        "carrier": "Royal Mail",
        "tracking_number": "RM123454321GB",
    }
    return Order.model_validate(fields | changes)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("where is VL-10023?", "VL-10023"),
        ("order vl10023 please", "VL-10023"),
        ("it's VL 10023", "VL-10023"),
        ("#vl-10023", "VL-10023"),
        ("V L-10023 hasn't come", "VL-10023"),
        ("my parcel hasn't arrived", ""),
        ("I paid £10023", ""),
        ("VL-100234", ""),
    ],
)
def test_order_numbers_are_found_however_they_are_typed(text: str, expected: str) -> None:
    assert find_order_number(text) == expected


def test_five_digits_alone_count_only_as_the_answer_to_the_question() -> None:
    assert find_order_number("10023") == ""
    assert find_order_number("10023", bare=True) == "VL-10023"
    assert find_order_number("it's 10023 i think", bare=True) == "VL-10023"
    assert find_order_number("£10023", bare=True) == ""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("it's Jo.Harper@Example.COM", ("email", "jo.harper@example.com")),
        ("postcode ls1 4ap", ("postcode", "LS14AP")),
        ("LS14AP", ("postcode", "LS14AP")),
        ("VL-10023 and SW1A 1AA", ("postcode", "SW1A1AA")),
        ("no idea", None),
    ],
)
def test_the_verifier_is_found_and_normalised(text: str, expected: object) -> None:
    assert find_verifier(text) == expected


def test_the_pair_matches_only_the_orders_own_email_or_postcode() -> None:
    o = order()
    for typed in ("jo.harper@example.com", " JO.HARPER@example.com", "ls1 4ap", "LS14AP"):
        found = find_verifier(typed)
        assert found, typed
        assert matches(o, verifier_digest(KEY, *found), key=KEY), typed
    for typed in ("jo@example.com", "LS1 4AQ"):
        found = find_verifier(typed)
        assert found
        assert not matches(o, verifier_digest(KEY, *found), key=KEY), typed
    right = verifier_digest(KEY, "email", "jo.harper@example.com")
    assert not matches(None, right, key=KEY)
    assert not matches(o, right, key=b"another key")
    assert not matches(o, "email:" + "0" * 64, key=KEY)


def test_the_digest_says_nothing_about_the_customer() -> None:
    digest = verifier_digest(KEY, "email", "jo.harper@example.com")
    assert digest.startswith("email:") and "jo" not in digest and "example" not in digest
    assert digest != verifier_digest(b"other", "email", "jo.harper@example.com")


def test_the_demo_file_has_every_status_and_relative_dates() -> None:
    orders = load_demo_orders(DEFAULT_SEED, today=TODAY)
    assert 15 <= len(orders) <= 30
    assert {o.status for o in orders} == {
        "processing",
        "shipped",
        "delivered",
        "delayed",
        "cancelled",
        "ready_for_collection",
    }
    late = [o for o in orders if o.days_late(TODAY)]
    assert late and any(o.status == "delayed" for o in late)
    assert all(o.carrier and o.tracking_number for o in orders if o.status == "shipped")
    assert all(o.placed_on <= TODAY for o in orders)


def test_a_broken_demo_file_says_where_and_what(tmp_path) -> None:
    bad = tmp_path / "orders.yml"
    bad.write_text("orders:\n  - {order_number: VL-1, status: lost}\n")
    with pytest.raises(ModelLoadError, match=r"orders\.yml.*docs/orders\.md"):
        load_demo_orders(bad)


def test_sqlite_order_system_reads_the_documented_table(tmp_path) -> None:
    system = SQLiteOrderSystem(tmp_path / "state" / "orders.db")
    assert isinstance(system, OrderSystem)
    assert system.upsert(load_demo_orders(DEFAULT_SEED, today=TODAY)) >= 15
    found = system.lookup("VL-10003")
    assert found is not None and found.status == "shipped" and found.carrier == "Royal Mail"
    assert system.lookup("VL-99999") is None
    assert stat.S_IMODE((tmp_path / "state" / "orders.db").stat().st_mode) == 0o600
    # A business fills the same table its own way: plain SQL, ISO dates.
    with sqlite3.connect(tmp_path / "state" / "orders.db") as db:
        db.execute(
            "INSERT INTO orders (order_number, email, postcode, status, items, placed_on, "
            "promised_by) VALUES ('VL-20001', 'a@example.com', 'M1 1AA', 'processing', "
            "'Pulse Lite', '2025-03-10', '2025-03-14')"
        )
    assert system.lookup("VL-20001") == Order(
        order_number="VL-20001",
        email="a@example.com",
        postcode="M1 1AA",
        status="processing",
        items="Pulse Lite",
        placed_on=dt.date(2025, 3, 10),
        promised_by=dt.date(2025, 3, 14),
    )


def test_an_unreadable_database_raises_order_error(tmp_path) -> None:
    system = SQLiteOrderSystem(tmp_path / "orders.db")
    with sqlite3.connect(tmp_path / "orders.db") as db:
        db.execute("DROP TABLE orders")
    with pytest.raises(OrderError, match="VL-10001"):
        system.lookup("VL-10001")


def test_the_fake_ships_next_to_the_interface() -> None:
    fake = FakeOrderSystem([order()])
    assert fake.lookup("VL-10023") == order() and fake.lookup("VL-1") is None
    assert fake.calls == ["VL-10023", "VL-1"]


def test_settings_are_read_in_one_place(tmp_path) -> None:
    settings = OrderSettings.from_env({"TANDEM_STATE_DIR": str(tmp_path)}, seed_path=DEFAULT_SEED)
    assert settings.db_path == tmp_path / "orders.db"
    assert settings.seed_path == DEFAULT_SEED and settings.max_attempts == 3
    custom = OrderSettings.from_env(
        {
            "TANDEM_ORDERS_DB": str(tmp_path / "shop.db"),
            "TANDEM_ORDERS_SEED": "",
            "TANDEM_ORDERS_MAX_ATTEMPTS": "5",
            "TANDEM_ORDERS_VERIFY_KEY": "shared-between-replicas",
        }
    )
    assert (custom.db_path, custom.seed_path, custom.max_attempts) == (
        tmp_path / "shop.db",
        None,
        5,
    )
    assert custom.verify_key == b"shared-between-replicas"
    assert "verify_key" not in repr(custom)
    with pytest.raises(ConfigError, match="TANDEM_ORDERS_MAX_ATTEMPTS"):
        OrderSettings.from_env({"TANDEM_ORDERS_MAX_ATTEMPTS": "lots"})
    built = OrderSettings.from_env(
        {"TANDEM_STATE_DIR": str(tmp_path)}, seed_path=DEFAULT_SEED
    ).build()
    assert built.lookup("VL-10001") is not None
    empty = custom.build()
    assert empty.lookup("VL-10001") is None


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        ({}, ["on its way", "Royal Mail", "RM123454321GB", "Friday 14 March"]),
        (
            {"status": "delivered", "delivered_on": TODAY - dt.timedelta(days=1)},
            ["was delivered on Tuesday 11 March"],
        ),
        ({"status": "cancelled"}, ["was cancelled", "refunded"]),
        (
            {"status": "ready_for_collection", "collect_store": "Voltline Riverside"},
            ["ready to collect at Voltline Riverside", "photo ID"],
        ),
        ({"status": "processing", "carrier": None}, ["being prepared", "Friday 14 March"]),
        (
            {"status": "delayed", "promised_by": TODAY - dt.timedelta(days=3)},
            ["should have arrived by Sunday 9 March", "3 days late", "RM123454321GB"],
        ),
    ],
)
def test_each_status_reads_as_a_customer_needs_it(changes: dict, says: list[str]) -> None:
    text = describe(order(**changes), TODAY)
    assert text.startswith("Your order VL-10023 (Nova 8)")
    for part in says:
        assert part in text
    assert "example.com" not in text.lower() and "LS1" not in text


def test_late_means_past_the_promised_date_and_not_yet_there() -> None:
    assert order(promised_by=TODAY - dt.timedelta(days=1)).days_late(TODAY) == 1
    assert order(promised_by=TODAY).days_late(TODAY) == 0
    assert order(status="delivered", promised_by=TODAY - dt.timedelta(days=5)).days_late(TODAY) == 0
