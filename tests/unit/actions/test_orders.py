"""order_status_form and action_order_status in-process, against the fake order system."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.orders import (
    LOCKED,
    NOT_FOUND,
    ActionOrderStatus,
    ValidateOrderStatusForm,
    describe_in,
    product_names,
)
from generators.errors import GeneratorError
from generators.orders import FakeOrderSystem, Order, OrderError, OrderSettings
from tests.unit.actions.form_driver import Conversation, domain_for, tracker

TODAY = dt.date(2025, 3, 12)
SETTINGS = OrderSettings(db_path=None, seed_path=None, verify_key=b"k" * 32)  # type: ignore[arg-type]
ON_ITS_WAY = Order(
    order_number="VL-10023",
    email="jo@example.com",
    postcode="LS1 4AP",
    status="shipped",
    items="Nova 8",
    placed_on=TODAY - dt.timedelta(days=2),
    promised_by=TODAY + dt.timedelta(days=1),
    carrier="DPD",
    tracking_number="DP1550123",
)
LATE = ON_ITS_WAY.model_copy(
    update={"order_number": "VL-10024", "promised_by": TODAY - dt.timedelta(days=4)}
)
FORM = "order_status_form"
REQUIRED = ["order_number", "order_verifier"]


@pytest.fixture
def orders(monkeypatch: pytest.MonkeyPatch) -> FakeOrderSystem:
    fake = FakeOrderSystem([ON_ITS_WAY, LATE])
    monkeypatch.setattr("actions.orders.default_orders", lambda: (SETTINGS, fake))
    return fake


def conversation(orders: FakeOrderSystem) -> Conversation:
    return Conversation(
        FORM, REQUIRED, ValidateOrderStatusForm(), ActionOrderStatus(orders, today=TODAY)
    )


async def first_message(text: str, *, after: str = "action_extract_slots") -> dict[str, object]:
    """What the form's validation makes of the message that started it (Rasa 3 runs
    ``action_extract_slots`` after every user message, so that is the latest action)."""
    t = tracker(text, {"requested_slot": None})
    t.latest_action_name = after
    t.events = [{"event": "user", "text": text}, {"event": "action", "name": after}]
    events = await ValidateOrderStatusForm().run(
        CollectingDispatcher(), t, domain_for(FORM, REQUIRED)
    )
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}


async def test_both_details_in_the_first_message_fill_the_form(orders) -> None:
    slots = await first_message("my parcel still hasn't come, vl 10023, jo@EXAMPLE.com")
    assert slots["order_number"] == "VL-10023"
    assert str(slots["order_verifier"]).startswith("email:")
    assert "jo@" not in json.dumps(slots)


async def test_a_bare_question_asks_for_the_order_number(orders) -> None:
    assert await first_message("wheres my order??") == {}


async def test_a_restart_after_a_wrong_pair_does_not_reuse_the_wrong_pair(orders) -> None:
    assert await first_message("VL-10023 sam@example.com", after="action_order_status") == {}


async def test_number_then_email_shows_the_order(orders) -> None:
    chat = conversation(orders)
    assert chat.texts(await chat.say("it's VL-10023")).endswith("utter_ask_order_verifier")
    reply = chat.texts(await chat.say("jo@example.com"))
    assert "Your order VL-10023 (Nova 8) is on its way" in reply and "DP1550123" in reply
    assert chat.slots["order_number"] is None and chat.slots["order_verifier"] is None


async def test_the_postcode_works_as_well_as_the_email(orders) -> None:
    chat = conversation(orders)
    await chat.say("10023")
    assert "on its way" in chat.texts(await chat.say("ls14ap"))


async def test_a_non_answer_is_asked_again_with_help(orders) -> None:
    chat = conversation(orders)
    assert "starts with VL-" in chat.texts(await chat.say("the blue one"))
    assert chat.requested == "order_number"
    assert "My orders" in chat.texts(await chat.say("I don't know it"))
    await chat.say("VL-10023")
    assert "e-mail address or the postcode" in chat.texts(await chat.say("not sure"))
    assert chat.requested == "order_verifier"


async def test_the_email_first_then_the_number(orders) -> None:
    slots = await first_message("can you check my delivery, it's jo@example.com")
    assert set(slots) == {"order_verifier"}
    chat = conversation(orders)
    chat.slots.update(slots)
    chat._ask_next()
    assert "on its way" in chat.texts(await chat.say("order 10023"))


async def run_action(orders, slots: dict[str, object]):
    dispatcher = CollectingDispatcher()
    events = await ActionOrderStatus(orders, today=TODAY).run(dispatcher, tracker("", slots), {})
    return " ".join(m.get("text") or m.get("response") or "" for m in dispatcher.messages), events


def digest(value: str) -> str:
    from generators.orders import find_verifier, verifier_digest

    found = find_verifier(value)
    assert found
    return verifier_digest(SETTINGS.verify_key, *found)


async def test_a_wrong_pair_and_an_unknown_number_get_the_same_refusal(orders) -> None:
    wrong_email, _ = await run_action(
        orders, {"order_number": "VL-10023", "order_verifier": digest("sam@example.com")}
    )
    unknown, events = await run_action(
        orders, {"order_number": "VL-99999", "order_verifier": digest("jo@example.com")}
    )
    assert wrong_email == unknown == f"{NOT_FOUND} Let's try once more."
    assert "Nova 8" not in wrong_email
    assert SlotSet("order_attempts", 1) in events and FollowupAction(FORM) in events


async def test_attempts_are_limited_per_conversation(orders) -> None:
    wrong = {"order_number": "VL-10023", "order_verifier": digest("LS1 4AQ")}
    text, events = await run_action(orders, wrong | {"order_attempts": 2})
    assert text == f"{NOT_FOUND}\n\n{LOCKED}"
    assert SlotSet("order_attempts", 3) in events and FollowupAction(FORM) not in events
    right = {"order_number": "VL-10023", "order_verifier": digest("jo@example.com")}
    text, _ = await run_action(orders, right | {"order_attempts": 3})
    assert text == LOCKED and "Nova 8" not in text


async def test_a_late_order_goes_to_a_person(orders) -> None:
    text, events = await run_action(
        orders, {"order_number": "VL-10024", "order_verifier": digest("jo@example.com")}
    )
    assert "4 days late" in text and "colleague" in text
    assert SlotSet("handoff_reason", "order_late") in events
    assert events[-1] == FollowupAction("action_handoff")


async def test_an_order_system_that_is_down_gets_an_apology_and_the_phone(orders) -> None:
    class Down(FakeOrderSystem):
        def lookup(self, order_number: str) -> Order | None:
            raise OrderError("connection refused")

    text, events = await run_action(
        Down(), {"order_number": "VL-10023", "order_verifier": digest("jo@example.com")}
    )
    assert "can't reach our order system" in text and "0800" in text
    assert SlotSet("order_attempts", 1) not in events


@pytest.mark.parametrize(
    ("requested", "text"),
    [
        ("order_verifier", "someone.else@example.com"),
        ("order_verifier", "b15 2tu"),
        ("order_number", "VL-10003"),
    ],
)
def test_an_answer_nlu_read_as_a_question_is_still_an_answer(requested: str, text: str) -> None:
    """The digression rules answer questions inside the form; an e-mail, a postcode or
    an order number classified as ask_faq must fill the form instead."""
    form = ValidateOrderStatusForm()
    t = tracker(text, {"requested_slot": requested}, intent="ask_faq")
    assert form.is_bare_answer(t, text)
    assert not form.is_bare_answer(t, "do you deliver on sundays?")


async def test_a_chinese_customer_reads_the_catalogues_chinese_names_of_the_items(
    orders, install_runtime
) -> None:
    install_runtime()  # the reference catalogue
    names = product_names("zh")
    assert names["aerobook sleeve 14"] == "AeroBook 14 英寸电脑内胆包"
    assert "nova 8" not in names  # a name that stays the same in Chinese
    order = ON_ITS_WAY.model_copy(update={"items": "Nova 8, AeroBook Sleeve 14"})
    reply = describe_in("zh", order, TODAY)
    assert reply.startswith("您的订单 VL-10023（Nova 8、AeroBook 14 英寸电脑内胆包）")  # noqa: RUF001
    assert describe_in("en", order, TODAY).startswith(
        "Your order VL-10023 (Nova 8, AeroBook Sleeve 14)"
    )


def test_without_the_catalogue_the_items_stay_as_written(monkeypatch) -> None:
    class Broken:
        def get_sync(self, name: str) -> object:
            raise GeneratorError("products.yml: not found")

    monkeypatch.setattr("actions.orders.get_runtime", lambda: Broken())
    assert product_names("zh") == {}
    order = ON_ITS_WAY.model_copy(update={"items": "AeroBook Sleeve 14"})
    assert "（AeroBook Sleeve 14）" in describe_in("zh", order, TODAY)  # noqa: RUF001
