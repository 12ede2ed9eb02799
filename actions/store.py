"""Store opening hours, answered from ``data/catalog/stores.yml``.

:class:`StoreDirectory` holds the hours and knows whether a store is open at a
given moment in the store's own time zone (a store's ``timezone`` overrides the
file's), and when a closed store next opens ("opens tomorrow at 09:00");
:class:`ActionStoreHours` only reads the ``store`` entity and phrases the
answer. The clock is injectable: pass ``now`` to the directory, ``clock`` to the
action, or freeze it for a demo with ``TANDEM_STORE_CLOCK=2026-11-29T12:00+00:00``.
"""

from __future__ import annotations

import asyncio
import copy
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from bot.errors import ConfigError, TandemError
from bot.sdk.i18n import language_of
from bot.sdk.runtime import get_runtime
from generators.followup import split_questions

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_NAMES = dict(zip(DAYS, ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"), strict=True))
STORES_FILE = "stores.yml"
"""Looked for in the project's catalogue folder unless ``TANDEM_STORES_FILE`` names one."""
FULL_DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
CLOCK_ENV = "TANDEM_STORE_CLOCK"
Clock = Callable[[], datetime]


class StoreDataError(TandemError, ValueError):
    """``stores.yml`` is malformed; the message names the store and field."""


@dataclass(frozen=True)
class Store:
    key: str
    name: str
    address: str
    hours: dict[str, tuple[time, time] | None]  # None: closed that day
    timezone: ZoneInfo | None = None  # None: the directory's

    def local(self, when: datetime) -> datetime:
        """``when`` on the store's wall clock (a naive moment is taken as already local)."""
        if self.timezone is None or when.tzinfo is None:
            return when
        return when.astimezone(self.timezone)

    def opening(self, when: datetime) -> tuple[time, time] | None:
        return self.hours[DAYS[self.local(when).weekday()]]

    def is_open(self, when: datetime) -> bool:
        moment = self.local(when)
        span = self.opening(moment)
        return span is not None and span[0] <= moment.time() < span[1]

    def next_opening(self, when: datetime) -> datetime | None:
        """The next moment the store opens after ``when`` (local); None if it never does."""
        moment = self.local(when)
        for ahead in range(8):
            day = moment.date() + timedelta(days=ahead)
            span = self.hours[DAYS[day.weekday()]]
            if span is None:
                continue
            opens = datetime.combine(day, span[0], tzinfo=moment.tzinfo)
            if opens > moment:
                return opens
        return None

    def closed_status(self, when: datetime) -> str:
        """ "closed now, opens tomorrow at 09:00": what a customer needs to plan a visit."""
        moment = self.local(when)
        opens = self.next_opening(moment)
        if opens is None:
            return "closed now"
        return f"closed now, opens {when_phrase(opens, moment)}"

    def weekly_summary(self) -> str:
        """``Mon-Wed 09:00-20:00, Sat 10:00-18:00, Sun closed``: equal days grouped."""
        groups: list[tuple[str, str, str]] = []
        for day in DAYS:
            span = self.hours[day]
            text = "closed" if span is None else f"{span[0]:%H:%M}-{span[1]:%H:%M}"
            if groups and groups[-1][2] == text:
                groups[-1] = (groups[-1][0], day, text)
            else:
                groups.append((day, day, text))
        return ", ".join(
            f"{DAY_NAMES[a]}{'' if a == b else '-' + DAY_NAMES[b]} {text}" for a, b, text in groups
        )


def when_phrase(opens: datetime, now: datetime) -> str:
    """ "today at 10:00", "tomorrow at 09:00", "on Monday at 09:00" (both on the store's clock)."""
    days = (opens.date() - now.date()).days
    if days == 0:
        return f"today at {opens:%H:%M}"
    if days == 1:
        return f"tomorrow at {opens:%H:%M}"
    return f"on {FULL_DAY_NAMES[opens.weekday()]} at {opens:%H:%M}"


def _parse_span(store: str, day: str, raw: object) -> tuple[time, time] | None:
    if raw == "closed":
        return None
    try:
        start, end = (time.fromisoformat(part.strip()) for part in str(raw).split("-"))
    except ValueError as e:
        raise StoreDataError(
            f"stores.yml: {store}.hours.{day} is {raw!r}; write 'HH:MM-HH:MM' or 'closed'."
        ) from e
    if end <= start:
        raise StoreDataError(f"stores.yml: {store}.hours.{day} closes before it opens ({raw}).")
    return start, end


class StoreDirectory:
    def __init__(self, stores: dict[str, Store], *, timezone: ZoneInfo) -> None:
        self.stores = {
            key: store if store.timezone else _with_zone(store, timezone)
            for key, store in stores.items()
        }
        self.timezone = timezone

    @classmethod
    def from_file(cls, path: Path) -> StoreDirectory:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        stores = {}
        for key, entry in data["stores"].items():
            zone = _zone(key, entry.get("timezone")) if entry.get("timezone") else None
            missing = [day for day in DAYS if day not in entry.get("hours", {})]
            if missing:
                raise StoreDataError(f"stores.yml: {key} has no hours for {', '.join(missing)}.")
            stores[key] = Store(
                key=key,
                name=entry["name"],
                address=entry["address"],
                hours={day: _parse_span(key, day, entry["hours"][day]) for day in DAYS},
                timezone=zone,
            )
        return cls(stores, timezone=_zone("timezone", data.get("timezone", "UTC")))

    def find(self, mention: str) -> Store | None:
        wanted = mention.strip().lower()
        for store in self.stores.values():
            if wanted in (store.key, store.name.lower()) or wanted in store.name.lower().split():
                return store
        return None

    def find_in(self, text: str) -> Store | None:
        """The store a message names ("riverside closing time?"), when the NLU found no entity."""
        words = set(re.findall(r"[a-z]+", text.lower()))
        for store in self.stores.values():
            names = {store.key, *store.name.lower().split()} - GENERIC_NAME_WORDS
            if names & words:
                return store
        return None

    def describe_day(self, store: Store, day: int, now: datetime | None = None) -> str:
        """A store's hours on one weekday (0 = Monday): "open 10:00-20:00 on Friday"."""
        moment = store.local(self.local_now(now))
        span = store.hours[DAYS[day]]
        when = "today" if day == moment.weekday() else f"on {FULL_DAY_NAMES[day]}"
        if span is None:
            opens = store.next_opening(
                datetime.combine(
                    moment.date() + timedelta(days=(day - moment.weekday()) % 7),
                    time(23, 59),
                    tzinfo=moment.tzinfo,
                )
            )
            if opens is None:
                return f"{store.name} is closed {when}."
            again = f"{FULL_DAY_NAMES[opens.weekday()]} at {opens:%H:%M}"
            return f"{store.name} is closed {when}; it opens again on {again}."
        text = f"{store.name} is open {span[0]:%H:%M}-{span[1]:%H:%M} {when}"
        if when == "today":
            text += " (open now)" if store.is_open(moment) else f" ({store.closed_status(moment)})"
        return f"{text}, closing at {span[1]:%H:%M}."

    def local_now(self, now: datetime | None = None) -> datetime:
        moment = now or datetime.now(self.timezone)
        return moment.astimezone(self.timezone) if moment.tzinfo else moment

    def describe(self, store: Store, now: datetime | None = None) -> str:
        moment = store.local(self.local_now(now))
        span = store.opening(moment)
        if store.is_open(moment):
            assert span is not None
            status = f"is open now until {span[1]:%H:%M}"
        else:
            status = f"is {store.closed_status(moment)}"
        return f"{store.name} ({store.address}) {status}. Opening hours: {store.weekly_summary()}."

    def overview(self, now: datetime | None = None) -> str:
        lines = []
        for store in self.stores.values():
            moment = store.local(self.local_now(now))
            span = store.opening(moment)
            today = "closed today" if span is None else f"{span[0]:%H:%M}-{span[1]:%H:%M} today"
            state = "open now" if store.is_open(moment) else store.closed_status(moment)
            lines.append(f"- {store.name}: {today} ({state})")
        return "Our stores:\n" + "\n".join(lines) + "\nAsk me about one store for its full week."


GENERIC_NAME_WORDS = frozenset({"voltline", "store", "shop"})
_DAY_WORDS = {
    **{name.lower(): i for i, name in enumerate(FULL_DAY_NAMES)},
    **{name.lower()[:3]: i for i, name in enumerate(FULL_DAY_NAMES)},
    "tues": 1,
    "weds": 2,
    "thur": 3,
    "thurs": 3,
    "weekend": 5,
    "saturdays": 5,
    "sundays": 6,
}


def asked_day(text: str, today: int) -> int | None:
    """The weekday (0 = Monday) a message asks about: "on friday", "tomorrow", "tonight"."""
    for word in re.findall(r"[a-z]+", text.lower()):
        if word in ("today", "tonight"):
            return today
        if word == "tomorrow":
            return (today + 1) % 7
        if word in _DAY_WORDS:
            return _DAY_WORDS[word]
        if word.endswith("s") and word[:-1] in _DAY_WORDS and len(word) > 4:  # "fridays"
            return _DAY_WORDS[word[:-1]]
    return None


def _zone(where: str, name: object) -> ZoneInfo:
    try:
        return ZoneInfo(str(name))
    except (ValueError, KeyError, OSError) as e:  # ZoneInfoNotFoundError is a KeyError
        raise StoreDataError(
            f"stores.yml: {where} is {name!r}, not an IANA time zone such as 'Europe/London'."
        ) from e


def _with_zone(store: Store, zone: ZoneInfo) -> Store:
    return Store(store.key, store.name, store.address, store.hours, timezone=zone)


def clock_from_env(env: Mapping[str, str]) -> Clock | None:
    """A frozen clock from ``TANDEM_STORE_CLOCK`` (ISO 8601 with an offset), or None."""
    raw = env.get(CLOCK_ENV)
    if not raw:
        return None
    try:
        frozen = datetime.fromisoformat(raw)
    except ValueError as e:
        raise ConfigError(
            f"{CLOCK_ENV}={raw!r} is not an ISO 8601 moment such as 2026-11-29T12:00+00:00."
        ) from e
    if frozen.tzinfo is None:
        raise ConfigError(f"{CLOCK_ENV}={raw!r} needs a UTC offset, e.g. +00:00; or unset it.")
    return lambda: frozen


@lru_cache(maxsize=4)
def load_directory(path: Path) -> StoreDirectory:
    return StoreDirectory.from_file(path)


_HOURS = re.compile(
    r"\b(?:open|opens|opening|close|closes|closing|hours|times?|shut)\b", re.IGNORECASE
)


def _asking(tracker: Tracker, text: str) -> Tracker:
    """``tracker`` as if its latest message were ``text`` (one question of several)."""
    asked = copy.copy(tracker)
    asked.latest_message = {**(tracker.latest_message or {}), "text": text}
    return asked


_HOLIDAY = re.compile(
    r"\b(?:christmas|xmas|boxing day|new year|bank holidays?|public holidays?|easter)\b", re.I
)
"""A day the weekly hours do not cover: the store terms in the knowledge base answer it."""


class ActionStoreHours(Action):
    def __init__(self, clock: Clock | None = None, *, answer: Action | None = None) -> None:
        self._clock = clock
        self._answer = answer

    def _answering(self) -> Action:
        if self._answer is None:
            from actions.answer import ActionAnswerQuestion

            self._answer = ActionAnswerQuestion()
        return self._answer

    def name(self) -> str:
        return "action_store_hours"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        text = tracker.latest_message.get("text") or ""
        if _HOLIDAY.search(text):
            return await self._answering().run(dispatcher, tracker, domain)
        parts = split_questions(text)
        hours = [q for q in parts if _HOURS.search(q)]
        others = [q for q in parts if not _HOURS.search(q)]
        if hours and others:
            # "what are your opening hours and how much is delivery?": the hours from
            # the store list, the rest from the knowledge base
            events = await self._hours(dispatcher, _asking(tracker, " ".join(hours)), domain)
            rest = _asking(tracker, " ".join(others))
            return [*events, *await self._answering().run(dispatcher, rest, domain)]
        return await self._hours(dispatcher, tracker, domain)

    async def _hours(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        runtime = get_runtime()
        path = runtime.settings.stores_file or runtime.assistant.catalog_file(STORES_FILE)
        directory = await asyncio.to_thread(load_directory, path)
        clock = self._clock or clock_from_env(runtime.settings.env)
        now = clock() if clock else None
        text = tracker.latest_message.get("text") or ""
        mention = next(tracker.get_latest_entity_values("store"), None)
        store = directory.find(mention) if mention else directory.find_in(text)
        if language_of(tracker) == "zh":
            return _answer_zh(dispatcher, directory, text, mention, store, now)
        day = asked_day(text, directory.local_now(now).weekday())
        if mention is not None and store is None:
            names = ", ".join(s.name for s in directory.stores.values())
            dispatcher.utter_message(
                text=f"I don't know a store called {mention!r}. Ours: {names}."
            )
            return []
        if store is None:
            if day is None:
                dispatcher.utter_message(text=directory.overview(now))
            else:
                lines = "\n".join(
                    f"- {directory.describe_day(s, day, now)}" for s in directory.stores.values()
                )
                dispatcher.utter_message(text=f"Our stores:\n{lines}")
            return []
        if day is None:
            dispatcher.utter_message(text=directory.describe(store, now))
        else:
            dispatcher.utter_message(text=directory.describe_day(store, day, now))
        return []


def _answer_zh(
    dispatcher: CollectingDispatcher,
    directory: StoreDirectory,
    text: str,
    mention: str | None,
    store: Store | None,
    now: datetime | None,
) -> list[EventType]:
    """The same answer in Chinese (:mod:`actions.store_zh`)."""
    from actions import store_zh  # that module builds on this one

    day = store_zh.asked_day_zh(text, directory.local_now(now).weekday())
    if day is None:
        day = asked_day(text, directory.local_now(now).weekday())
    if mention is not None and store is None:
        dispatcher.utter_message(text=store_zh.unknown_store_zh(directory, mention))
    elif store is None:
        dispatcher.utter_message(
            text=store_zh.overview_zh(directory, now)
            if day is None
            else store_zh.day_overview_zh(directory, day, now)
        )
    elif day is None:
        dispatcher.utter_message(text=store_zh.describe_zh(directory, store, now))
    else:
        dispatcher.utter_message(text=store_zh.describe_day_zh(directory, store, day, now))
    return []
