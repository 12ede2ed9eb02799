# ruff: noqa: RUF001  (Chinese text, on purpose)
"""The one estimate of a waiting customer's wait, and the words every surface shows."""

from __future__ import annotations

import re

import pytest

from bot.handoff.estimate import NO_AGENTS, NO_HISTORY, OVERDUE, estimate
from bot.sdk.i18n import kit_catalog


def test_the_wait_follows_recent_claims_and_the_agents_online() -> None:
    waits = [60.0, 120.0, 600.0]  # the median, 120 s, not the mean pulled up by one long wait
    assert estimate(1, waits, 1).expected_wait_s == 120
    assert estimate(3, waits, 1).expected_wait_s == 360
    assert estimate(3, waits, 2).expected_wait_s == 240  # served in the second round
    assert estimate(2, waits, 2).expected_wait_s == 120


def test_the_estimate_counts_down_and_gives_up_honestly_when_overdue() -> None:
    waits = [60.0]
    fresh, later, late = (estimate(1, waits, 1, w) for w in (0, 30, 14 * 60))
    assert (fresh.expected_wait_min, later.expected_wait_min) == (1, 1)
    assert later.expected_wait_s == 30
    # 14 minutes in, nobody says "about 1 minute" any more
    assert late.expected_wait_s is None and late.unknown_because == OVERDUE
    assert "1 minute" not in late.wait_text
    assert late.wait_text == "It's taking longer than usual, sorry; you keep your place."


@pytest.mark.parametrize(
    ("waits", "online", "why", "words"),
    [
        ([60.0], 0, NO_AGENTS, "nobody from the team is online"),
        ([], 2, NO_HISTORY, "I can't estimate the wait yet."),
    ],
)
def test_no_figure_without_a_basis(waits: list[float], online: int, why: str, words: str) -> None:
    status = estimate(2, waits, online)
    assert status.expected_wait_s is None and status.expected_wait_min is None
    assert status.unknown_because == why
    assert words in status.wait_text


@pytest.mark.parametrize(
    ("seconds", "minutes", "text"),
    [
        (30, 1, "The wait is about 1 minute."),
        (60, 1, "The wait is about 1 minute."),
        (61, 2, "The wait is about 2 minutes."),  # the bot said 2, the banner 1: not any more
        (89, 2, "The wait is about 2 minutes."),
        (240, 4, "The wait is about 4 minutes."),
    ],
)
def test_minutes_are_rounded_once_for_every_surface(seconds: int, minutes: int, text: str) -> None:
    status = estimate(1, [float(seconds)], 1)
    assert status.expected_wait_min == minutes
    assert status.wait_text == text
    payload = status.as_json()
    assert payload["expected_wait_min"] == minutes and payload["wait_text"] == text


def test_place_words() -> None:
    assert estimate(1, [], 1).place_text == "You're next in the queue."
    assert estimate(4, [], 1).place_text == "You're number 4 in the queue."


@pytest.mark.parametrize(
    ("position", "waits", "online", "waited", "place", "wait"),
    [
        (1, [240.0], 1, 0, "下一位就轮到您了。", "预计等待约 4 分钟。"),
        (3, [60.0], 1, 0, "您前面还有 2 位，排在第 3 位。", "预计等待约 3 分钟。"),
        (2, [60.0], 0, 0, "您前面还有 1 位，排在第 2 位。", "目前团队里没有同事在线"),
        (1, [60.0], 1, 14 * 60, "下一位就轮到您了。", "这次比平时等得久一些"),
        (1, [], 1, 0, "下一位就轮到您了。", "暂时无法估计等待时间。"),
    ],
)
def test_a_chinese_customer_reads_the_queue_in_chinese(
    position: int, waits: list[float], online: int, waited: int, place: str, wait: str
) -> None:
    status = estimate(position, waits, online, waited)
    words = status.words("zh", kit_catalog())
    assert words[0] == place and wait in words[1]
    payload = status.as_json("zh", kit_catalog())
    assert [payload["place_text"], payload["wait_text"]] == words
    assert not re.search(r"[A-Za-z]", "".join(words))
    # English is what it was, with or without a catalog
    english = [status.place_text, status.wait_text]
    assert status.words("en", kit_catalog()) == status.words() == english
    assert status.as_json("en", kit_catalog()) == status.as_json()
