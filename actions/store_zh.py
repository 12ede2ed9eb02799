# ruff: noqa: RUF001, RUF002  (Chinese punctuation, on purpose)
"""Store opening hours in Chinese: the same facts as :mod:`actions.store`, worded in Chinese.

The hours, the time zone and "open now" come from the same
:class:`actions.store.StoreDirectory`; only the wording and the day words
("周六", "星期天", "明天", "今晚") are Chinese. Store names stay as the catalogue
writes them ("Voltline Downtown"), as the Chinese knowledge base does.
"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta

from actions.store import DAYS, Store, StoreDirectory

DAY_NAMES_ZH = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
_DAY = re.compile(
    r"(?:周|星期|礼拜)(?P<d>[一二三四五六日天1-7])|(?P<rel>今天|今晚|今日|明天|明日|后天)"
)


def asked_day_zh(text: str, today: int) -> int | None:
    """The weekday (0 = Monday) a Chinese message asks about: "周六", "星期天", "明天"."""
    m = _DAY.search(text)
    if m is None:
        return None
    if m["rel"]:
        return (today + {"明天": 1, "明日": 1, "后天": 2}.get(m["rel"], 0)) % 7
    digit = m["d"]
    return int(digit) - 1 if digit.isdigit() else "一二三四五六日".find(digit.replace("天", "日"))


def _span(span: tuple[time, time]) -> str:
    return f"{span[0]:%H:%M}-{span[1]:%H:%M}"


def when_phrase_zh(opens: datetime, now: datetime) -> str:
    days = (opens.date() - now.date()).days
    day = "今天" if days == 0 else "明天" if days == 1 else DAY_NAMES_ZH[opens.weekday()]
    return f"{day} {opens:%H:%M}"


def closed_status_zh(store: Store, when: datetime) -> str:
    moment = store.local(when)
    opens = store.next_opening(moment)
    if opens is None:
        return "现在关门"
    return f"现在关门，{when_phrase_zh(opens, moment)} 开门"


def weekly_summary_zh(store: Store) -> str:
    """ "周一至周三 09:00-20:00，周六 10:00-18:00，周日休息": equal days grouped."""
    groups: list[tuple[int, int, str]] = []
    for i, day in enumerate(DAYS):
        span = store.hours[day]
        text = "休息" if span is None else _span(span)
        if groups and groups[-1][2] == text:
            groups[-1] = (groups[-1][0], i, text)
        else:
            groups.append((i, i, text))
    return "，".join(
        f"{DAY_NAMES_ZH[a]}{'' if a == b else '至' + DAY_NAMES_ZH[b]} {text}"
        for a, b, text in groups
    )


def describe_zh(directory: StoreDirectory, store: Store, now: datetime | None = None) -> str:
    moment = store.local(directory.local_now(now))
    span = store.opening(moment)
    if store.is_open(moment) and span is not None:
        status = f"现在营业中，{span[1]:%H:%M} 关门"
    else:
        status = closed_status_zh(store, moment)
    return f"{store.name}（{store.address}）{status}。营业时间：{weekly_summary_zh(store)}。"


def describe_day_zh(
    directory: StoreDirectory, store: Store, day: int, now: datetime | None = None
) -> str:
    moment = store.local(directory.local_now(now))
    span = store.hours[DAYS[day]]
    when = "今天" if day == moment.weekday() else DAY_NAMES_ZH[day]
    if span is None:
        start = moment.date() + timedelta(days=(day - moment.weekday()) % 7)
        opens = store.next_opening(datetime.combine(start, time(23, 59), tzinfo=moment.tzinfo))
        if opens is None:
            return f"{store.name}{when}休息。"
        return f"{store.name}{when}休息，{DAY_NAMES_ZH[opens.weekday()]} {opens:%H:%M} 再开门。"
    text = f"{store.name}{when}的营业时间是 {_span(span)}"
    if when == "今天":
        text += (
            "（现在营业中）" if store.is_open(moment) else f"（{closed_status_zh(store, moment)}）"
        )
    return f"{text}。"


def overview_zh(directory: StoreDirectory, now: datetime | None = None) -> str:
    lines = []
    for store in directory.stores.values():
        moment = store.local(directory.local_now(now))
        span = store.opening(moment)
        today = "今天休息" if span is None else f"今天 {_span(span)}"
        state = "现在营业中" if store.is_open(moment) else closed_status_zh(store, moment)
        lines.append(f"- {store.name}：{today}（{state}）")
    return "我们的门店：\n" + "\n".join(lines) + "\n问我某一家门店，我可以告诉您它一周的营业时间。"


def day_overview_zh(directory: StoreDirectory, day: int, now: datetime | None = None) -> str:
    lines = "\n".join(
        f"- {describe_day_zh(directory, s, day, now)}" for s in directory.stores.values()
    )
    return f"我们的门店：\n{lines}"


def unknown_store_zh(directory: StoreDirectory, mention: str) -> str:
    names = "、".join(s.name for s in directory.stores.values())
    return f"我不知道叫“{mention}”的门店。我们的门店有：{names}。"
