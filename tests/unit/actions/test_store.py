# ruff: noqa: RUF001  (Chinese punctuation, on purpose)
from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.store import (
    ActionStoreHours,
    StoreDataError,
    StoreDirectory,
    clock_from_env,
)
from actions.store_zh import asked_day_zh
from bot.errors import ConfigError
from tests.conftest import CATALOG_DIR

LONDON = ZoneInfo("Europe/London")


@pytest.fixture
def directory() -> StoreDirectory:
    return StoreDirectory.from_file(CATALOG_DIR / "stores.yml")


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment in the week of Monday 2026-11-23 (day 0) in London."""
    return datetime(2026, 11, 23 + day, hour, minute, tzinfo=LONDON)


def test_open_and_closed_moments(directory: StoreDirectory) -> None:
    downtown = directory.stores["downtown"]
    assert downtown.is_open(at(0, 9, 0))
    assert not downtown.is_open(at(0, 8, 59))
    assert not downtown.is_open(at(0, 20, 0))  # closing time is exclusive
    assert downtown.is_open(at(3, 20, 30))  # late opening on Thursday
    assert not downtown.is_open(at(6, 12))  # closed on Sunday


def test_weekly_summary_groups_equal_days(directory: StoreDirectory) -> None:
    assert directory.stores["downtown"].weekly_summary() == (
        "Mon-Wed 09:00-20:00, Thu-Fri 09:00-21:00, Sat 10:00-18:00, Sun closed"
    )
    assert directory.stores["airport"].weekly_summary() == "Mon-Sun 06:00-22:00"


def test_describe_says_when_it_opens_later_today(directory: StoreDirectory) -> None:
    text = directory.describe(directory.stores["riverside"], now=at(1, 8, 30))
    assert "closed now, opens today at 10:00" in text
    text = directory.describe(directory.stores["riverside"], now=at(1, 12))
    assert "open now until 19:00" in text


def test_times_in_other_zones_are_converted(directory: StoreDirectory) -> None:
    new_york = datetime(2026, 11, 23, 4, 30, tzinfo=ZoneInfo("America/New_York"))  # 09:30 London
    assert "open now" in directory.describe(directory.stores["downtown"], now=new_york)


def test_find_accepts_key_and_name_case_insensitively(directory: StoreDirectory) -> None:
    assert directory.find("Downtown") is directory.stores["downtown"]
    assert directory.find("voltline airport") is directory.stores["airport"]
    assert directory.find("Mars") is None


def test_bad_hours_are_reported_with_store_and_day(tmp_path: Path) -> None:
    path = tmp_path / "stores.yml"
    hours = {d: "09:00-17:00" for d in ("mon", "tue", "wed", "thu", "fri", "sat")}
    hours["sun"] = "nine till five"
    import yaml

    path.write_text(
        yaml.safe_dump({"stores": {"x": {"name": "X", "address": "a", "hours": hours}}})
    )
    with pytest.raises(StoreDataError, match=r"x\.hours\.sun"):
        StoreDirectory.from_file(path)


async def test_action_answers_for_a_named_store(tracker_factory) -> None:
    dispatcher = CollectingDispatcher()
    tracker = tracker_factory(
        intent="ask_store_hours", entities=[{"entity": "store", "value": "airport"}]
    )
    assert await ActionStoreHours().run(dispatcher, tracker, {}) == []
    assert dispatcher.messages[0]["text"].startswith("Voltline Airport (Terminal 2")


async def test_action_lists_all_stores_without_a_store(tracker_factory) -> None:
    dispatcher = CollectingDispatcher()
    await ActionStoreHours().run(dispatcher, tracker_factory(intent="ask_store_hours"), {})
    text = dispatcher.messages[0]["text"]
    assert text.startswith("Our stores:")
    assert all(name in text for name in ("Downtown", "Riverside", "Airport"))


async def test_action_says_so_for_an_unknown_store(tracker_factory) -> None:
    dispatcher = CollectingDispatcher()
    tracker = tracker_factory(entities=[{"entity": "store", "value": "Narnia"}])
    await ActionStoreHours().run(dispatcher, tracker, {})
    assert "I don't know a store called 'Narnia'" in dispatcher.messages[0]["text"]


@pytest.mark.parametrize(
    ("store", "moment", "expected"),
    [
        ("downtown", at(0, 21), "is closed now, opens tomorrow at 09:00"),  # Monday night
        ("downtown", at(5, 19), "is closed now, opens on Monday at 09:00"),  # Saturday after 18:00
        ("downtown", at(6, 12), "is closed now, opens tomorrow at 09:00"),  # closed all Sunday
        ("riverside", at(5, 23, 30), "is closed now, opens tomorrow at 11:00"),  # Sunday hours
        ("riverside", at(0, 0, 5), "is closed now, opens today at 10:00"),
    ],
)
def test_a_closed_store_says_when_it_next_opens(
    directory: StoreDirectory, store: str, moment: datetime, expected: str
) -> None:
    assert expected in directory.describe(directory.stores[store], now=moment)


def test_the_overview_says_when_each_closed_store_opens(directory: StoreDirectory) -> None:
    text = directory.overview(now=at(6, 19))  # Sunday 19:00
    assert "- Voltline Downtown: closed today (closed now, opens tomorrow at 09:00)" in text
    assert "- Voltline Riverside: 11:00-17:00 today (closed now, opens tomorrow at 10:00)" in text
    assert "- Voltline Airport: 06:00-22:00 today (open now)" in text


def test_each_store_keeps_its_own_time_zone(tmp_path: Path) -> None:
    import yaml

    hours = dict.fromkeys(("mon", "tue", "wed", "thu", "fri", "sat", "sun"), "09:00-17:00")
    path = tmp_path / "stores.yml"
    path.write_text(
        yaml.safe_dump(
            {
                "timezone": "Europe/London",
                "stores": {
                    "london": {"name": "London", "address": "a", "hours": hours},
                    "paris": {
                        "name": "Paris",
                        "address": "b",
                        "hours": hours,
                        "timezone": "Europe/Paris",
                    },
                },
            }
        )
    )
    directory = StoreDirectory.from_file(path)
    moment = datetime(2026, 11, 23, 16, 30, tzinfo=LONDON)  # 17:30 in Paris
    assert "open now until 17:00" in directory.describe(directory.stores["london"], now=moment)
    paris = directory.describe(directory.stores["paris"], now=moment)
    assert "closed now, opens tomorrow at 09:00" in paris
    bad = tmp_path / "bad.yml"
    bad.write_text(yaml.safe_dump({"timezone": "Mars/Olympus", "stores": {}}))
    with pytest.raises(StoreDataError, match="IANA time zone"):
        StoreDirectory.from_file(bad)


async def test_the_action_reads_the_injected_clock(tracker_factory) -> None:
    sunday_evening = at(6, 19)
    dispatcher = CollectingDispatcher()
    tracker = tracker_factory(
        intent="ask_store_hours", entities=[{"entity": "store", "value": "downtown"}]
    )
    await ActionStoreHours(clock=lambda: sunday_evening).run(dispatcher, tracker, {})
    assert "is closed now, opens tomorrow at 09:00" in dispatcher.messages[0]["text"]


def test_a_frozen_clock_comes_from_the_environment() -> None:
    clock = clock_from_env({"TANDEM_STORE_CLOCK": "2026-11-29T19:00+00:00"})
    assert clock is not None and clock() == datetime(2026, 11, 29, 19, tzinfo=ZoneInfo("UTC"))
    assert clock_from_env({}) is None
    with pytest.raises(ConfigError, match="UTC offset"):
        clock_from_env({"TANDEM_STORE_CLOCK": "2026-11-29T19:00"})


# --- hours of a named store on a named day (kb2) ---


@pytest.mark.parametrize(
    ("text", "today", "day"),
    [
        ("when does downtown shut on thursday", 0, 3),
        ("is the airport shop open sat?", 0, 5),
        ("riverside hours tomorrow pls", 6, 0),
        ("are you open tonight", 2, 2),
        ("what time do you open", 2, None),
    ],
)
def test_the_day_a_message_asks_about(text: str, today: int, day: int | None) -> None:
    from actions.store import asked_day

    assert asked_day(text, today) == day


def test_hours_on_a_named_day(directory: StoreDirectory) -> None:
    riverside, downtown = directory.stores["riverside"], directory.stores["downtown"]
    monday = at(0, 12)
    assert directory.describe_day(riverside, 5, monday) == (
        "Voltline Riverside is open 10:00-20:00 on Saturday, closing at 20:00."
    )
    assert directory.describe_day(downtown, 6, monday) == (
        "Voltline Downtown is closed on Sunday; it opens again on Monday at 09:00."
    )
    assert "today (open now)" in directory.describe_day(downtown, 0, monday)


async def test_action_reads_store_and_day_from_the_text_without_an_entity(tracker_factory) -> None:
    dispatcher = CollectingDispatcher()
    tracker = tracker_factory(
        text="till what time is downtown open on thursdays", intent="ask_store_hours"
    )
    await ActionStoreHours(clock=lambda: at(0, 12)).run(dispatcher, tracker, {})
    assert dispatcher.messages[0]["text"] == (
        "Voltline Downtown is open 09:00-21:00 on Thursday, closing at 21:00."
    )


async def test_action_gives_every_store_on_a_named_day(tracker_factory) -> None:
    dispatcher = CollectingDispatcher()
    tracker = tracker_factory(text="are your shops open on sunday", intent="ask_store_hours")
    await ActionStoreHours(clock=lambda: at(0, 12)).run(dispatcher, tracker, {})
    text = dispatcher.messages[0]["text"]
    assert "Voltline Downtown is closed on Sunday" in text
    assert "Voltline Riverside is open 11:00-17:00 on Sunday" in text


async def test_a_public_holiday_is_answered_from_the_store_terms(tracker_factory) -> None:
    """The weekly hours say nothing about Christmas Day; the knowledge base does."""
    from actions.answer import ActionAnswerQuestion
    from generators.answer import AnswerPipeline
    from generators.embeddings import HashingEmbedder
    from generators.retrieval import KnowledgeBase, chunk_markdown
    from generators.text import ScriptedGenerator
    from tests.conftest import BRAND

    kb = KnowledgeBase(
        chunk_markdown(
            "store-hours",
            "# Stores\n\n## Public holidays\nAll stores are closed on Christmas Day "
            "except the Airport store.",
        ),
        embedder=HashingEmbedder(),
        threshold=0.0,
    )
    answer = ActionAnswerQuestion(
        AnswerPipeline(brand=BRAND, knowledge_base=kb, generator=ScriptedGenerator(replies=[]))
    )
    dispatcher = CollectingDispatcher()
    tracker = tracker_factory(intent="ask_store_hours", text="are you open on christmas day")
    await ActionStoreHours(answer=answer).run(dispatcher, tracker, {})
    assert "closed on Christmas Day" in dispatcher.messages[0]["text"]


async def test_hours_and_another_question_get_both_answers(tracker_factory) -> None:
    """ "what are your opening hours and how much is delivery": the store list gives
    the hours, the knowledge base the delivery cost."""
    from actions.answer import ActionAnswerQuestion
    from generators.answer import AnswerPipeline
    from generators.backends.extractive import ExtractiveGenerator
    from generators.embeddings import HashingEmbedder
    from generators.retrieval import KnowledgeBase, chunk_markdown
    from tests.conftest import BRAND

    kb = KnowledgeBase(
        chunk_markdown(
            "shipping", "# Shipping\n\n## Delivery costs\nDelivery costs £4.99 on small orders."
        ),
        embedder=HashingEmbedder(),
        threshold=0.0,
    )
    answer = ActionAnswerQuestion(
        AnswerPipeline(
            brand=BRAND, knowledge_base=kb, generator=ExtractiveGenerator(), generate=False
        )
    )
    dispatcher = CollectingDispatcher()
    tracker = tracker_factory(
        intent="ask_store_hours", text="what are your opening hours and how much is delivery"
    )
    await ActionStoreHours(answer=answer).run(dispatcher, tracker, {})
    hours, delivery = (m["text"] for m in dispatcher.messages)
    assert hours.startswith("Our stores:") or "Downtown" in hours
    assert "£4.99" in delivery


async def test_a_chinese_question_about_saturday_is_answered_in_chinese(tracker_factory) -> None:
    monday_noon = datetime(2026, 11, 30, 12, 0, tzinfo=ZoneInfo("Europe/London"))
    dispatcher = CollectingDispatcher()
    tracker = tracker_factory(
        text="河畔店周六几点开门",
        intent="ask_store_hours",
        entities=[{"entity": "store", "value": "riverside"}],
        slots={"language": "zh"},
    )
    await ActionStoreHours(clock=lambda: monday_noon).run(dispatcher, tracker, {})
    assert dispatcher.messages[0]["text"] == "Voltline Riverside周六的营业时间是 10:00-20:00。"


def test_chinese_day_words() -> None:
    assert [asked_day_zh(t, today=0) for t in ("周六", "星期天", "礼拜3", "明天", "今晚")] == [
        5,
        6,
        2,
        1,
        0,
    ]
    assert asked_day_zh("几点开门", today=0) is None


async def test_all_stores_today_in_chinese(tracker_factory) -> None:
    sunday = datetime(2026, 11, 29, 12, 0, tzinfo=ZoneInfo("Europe/London"))
    dispatcher = CollectingDispatcher()
    tracker = tracker_factory(
        text="你们几点开门", intent="ask_store_hours", slots={"language": "zh"}
    )
    await ActionStoreHours(clock=lambda: sunday).run(dispatcher, tracker, {})
    text = dispatcher.messages[0]["text"]
    assert text.startswith("我们的门店：")
    assert "Voltline Downtown：今天休息（现在关门，明天 09:00 开门）" in text
