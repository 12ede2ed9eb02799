"""Store opening hours, answered from ``data/catalog/stores.yml``.

:class:`StoreDirectory` holds the hours and knows whether a store is open at a
given moment in the stores' time zone; :class:`ActionStoreHours` only reads the
``store`` entity and phrases the answer. Pass ``now`` to test any moment.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, time
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_NAMES = dict(zip(DAYS, ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"), strict=True))
DEFAULT_STORES_FILE = Path(__file__).resolve().parent.parent / "data" / "catalog" / "stores.yml"


class StoreDataError(ValueError):
    """``stores.yml`` is malformed; the message names the store and field."""


@dataclass(frozen=True)
class Store:
    key: str
    name: str
    address: str
    hours: dict[str, tuple[time, time] | None]  # None: closed that day

    def opening(self, when: datetime) -> tuple[time, time] | None:
        return self.hours[DAYS[when.weekday()]]

    def is_open(self, when: datetime) -> bool:
        span = self.opening(when)
        return span is not None and span[0] <= when.time() < span[1]

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
        self.stores = stores
        self.timezone = timezone

    @classmethod
    def from_file(cls, path: Path) -> StoreDirectory:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        stores = {}
        for key, entry in data["stores"].items():
            missing = [day for day in DAYS if day not in entry.get("hours", {})]
            if missing:
                raise StoreDataError(f"stores.yml: {key} has no hours for {', '.join(missing)}.")
            stores[key] = Store(
                key=key,
                name=entry["name"],
                address=entry["address"],
                hours={day: _parse_span(key, day, entry["hours"][day]) for day in DAYS},
            )
        return cls(stores, timezone=ZoneInfo(data.get("timezone", "UTC")))

    def find(self, mention: str) -> Store | None:
        wanted = mention.strip().lower()
        for store in self.stores.values():
            if wanted in (store.key, store.name.lower()) or wanted in store.name.lower().split():
                return store
        return None

    def local_now(self, now: datetime | None = None) -> datetime:
        moment = now or datetime.now(self.timezone)
        return moment.astimezone(self.timezone) if moment.tzinfo else moment

    def describe(self, store: Store, now: datetime | None = None) -> str:
        moment = self.local_now(now)
        span = store.opening(moment)
        if store.is_open(moment):
            assert span is not None
            status = f"is open now until {span[1]:%H:%M}"
        elif span is not None and moment.time() < span[0]:
            status = f"is closed right now and opens today at {span[0]:%H:%M}"
        else:
            status = "is closed right now"
        return f"{store.name} ({store.address}) {status}. Opening hours: {store.weekly_summary()}."

    def overview(self, now: datetime | None = None) -> str:
        moment = self.local_now(now)
        lines = []
        for store in self.stores.values():
            span = store.opening(moment)
            today = "closed today" if span is None else f"{span[0]:%H:%M}-{span[1]:%H:%M} today"
            state = "open now" if store.is_open(moment) else "closed now"
            lines.append(f"- {store.name}: {today} ({state})")
        return "Our stores:\n" + "\n".join(lines) + "\nAsk me about one store for its full week."


@lru_cache(maxsize=4)
def load_directory(path: Path) -> StoreDirectory:
    return StoreDirectory.from_file(path)


class ActionStoreHours(Action):
    def name(self) -> str:
        return "action_store_hours"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        directory = load_directory(Path(os.environ.get("TANDEM_STORES_FILE", DEFAULT_STORES_FILE)))
        mention = next(tracker.get_latest_entity_values("store"), None)
        if mention is None:
            dispatcher.utter_message(text=directory.overview())
            return []
        store = directory.find(mention)
        if store is None:
            names = ", ".join(s.name for s in directory.stores.values())
            dispatcher.utter_message(
                text=f"I don't know a store called {mention!r}. Ours: {names}."
            )
            return []
        dispatcher.utter_message(text=directory.describe(store))
        return []
