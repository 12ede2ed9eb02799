"""What the handoff service does: queue customers, let people take them over, hand back.

States::

    waiting ──claim──► assigned ──resolve──► resolved
       │                 │  ▲
       │                 │  └─reassign (supervisor)
       └──── return ─────┴──return──► returned (the bot carries on)

Every change that the customer should see goes to Rasa first; only when Rasa
accepted it does the state change here, so a failure leaves everything as it
was and the agent sees why (:class:`GatewayError` → 502). Then the transcript
is synced, so the agent's words are stored from the tracker, in tracker order.

What the customer reads is in the conversation's language (the ``language``
slot in the handoff's context) from the kit's message catalog
(:mod:`bot.sdk.i18n`, keys ``handoff.*``).
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.handoff import transcript
from bot.handoff.accounts import Staff
from bot.handoff.cancel import wants_to_cancel
from bot.handoff.errors import Conflict, Forbidden, GatewayError, InvalidInput, NotFound
from bot.handoff.estimate import QueueStatus, estimate
from bot.handoff.gateway import RasaGateway
from bot.handoff.live import Hub
from bot.handoff.locks import SharedLocks
from bot.handoff.models import ACTIVE, Handoff, Message, Note
from bot.handoff.settings import HandoffSettings
from bot.handoff.store import Store
from bot.handoff.sync import Syncer, in_thread
from bot.privacy import redact
from bot.sdk.i18n import LANGUAGE_SLOT, Catalog, kit_catalog

logger = logging.getLogger(__name__)

HISTORY_DEADLINE_S = 3.0
VIEW_SYNC_DEADLINE_S = 2.0
MAX_REPLY_CHARS = 4000
MAX_NOTE_CHARS = 4000
REQUEST_WINDOW = timedelta(hours=1)
SWEEP_LEADER = "sweep"


@dataclass(frozen=True)
class Actor:
    """Who asks, for the audit log: a signed-in person or the engine."""

    user: Staff | None
    ip: str = ""

    @property
    def label(self) -> str:
        return self.user.email if self.user else "engine"


@dataclass(frozen=True)
class Outcome:
    """The answer to a handoff request: a handoff, or why there is none."""

    handoff: Handoff | None
    created: bool = False
    unavailable: str | None = None


def may_view(user: Staff, status: str | None, agent_id: int | None) -> bool:
    """Supervisors see everything; agents the queue and their own conversations.

    A request the customer cancelled while waiting stays visible to whoever could
    see it in the queue, so an agent who had it open sees that it was cancelled.
    """
    return (
        user.is_supervisor
        or status in ("waiting", "cancelled")
        or (agent_id is not None and agent_id == user.id)
    )


def can_view(user: Staff, handoff: Handoff) -> bool:
    return may_view(user, handoff.status, handoff.agent_id)


def can_act(user: Staff, handoff: Handoff) -> bool:
    return user.is_supervisor or (handoff.agent_id == user.id and handoff.status == "assigned")


Clock = Callable[[], datetime]


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _consume_error(task: asyncio.Future[Any]) -> None:
    if not task.cancelled() and task.exception() is not None:
        logger.info("background sync failed: %s", task.exception())


def _clean(text: str, limit: int, what: str) -> str:
    text = text.strip()
    if not text:
        raise InvalidInput(f"The {what} is empty; write something first.")
    if len(text) > limit:
        raise InvalidInput(f"The {what} has {len(text)} characters; the limit is {limit}.")
    return text


class HandoffService:
    def __init__(
        self,
        *,
        store: Store,
        gateway: RasaGateway,
        hub: Hub,
        settings: HandoffSettings,
        clock: Clock | None = None,
        catalog: Catalog | None = None,
        shared_locks: SharedLocks | None = None,
    ) -> None:
        self.catalog = catalog or kit_catalog()
        self.store = store
        self.gateway = gateway
        self.hub = hub
        self.settings = settings
        self.clock = clock or _utc_now
        self.syncer = Syncer(store=store, gateway=gateway, hub=hub, shared_locks=shared_locks)
        self.syncer.after_sync = self._after_sync
        self._address_locks = [asyncio.Lock() for _ in range(64)]
        self._refresh_task: asyncio.Task[None] | None = None
        self._cancelling: set[int] = set()

    async def audit(self, actor: Actor, action: str, target: str = "", **detail: Any) -> None:
        await in_thread(
            self.store.audit,
            action,
            actor=actor.label,
            user_id=actor.user.id if actor.user else None,
            target=target,
            detail=detail,
            ip=actor.ip,
        )

    def _queue_changed(self) -> None:
        self.hub.publish({"type": "queue"})
        self._refresh_soon()

    # engine side

    async def _queue_facts(self, now: datetime) -> tuple[list[Handoff], list[float], int]:
        waiting = [h for h in await in_thread(self.store.active) if h.status == "waiting"]
        waits = await in_thread(self.store.recent_waits, now)
        within = timedelta(seconds=self.settings.online_window_s)
        online = await in_thread(self.store.agents_online, now, within)
        return waiting, waits, online

    async def status(self, handoff: Handoff) -> QueueStatus | None:
        """Place and expected wait of a waiting handoff; ``None`` once it is not waiting.

        The one estimate the customer sees, in the bot's message and in the
        widget's banner (see :mod:`bot.handoff.estimate`).
        """
        if handoff.status != "waiting":
            return None
        now = self.clock()
        waiting, waits, online = await self._queue_facts(now)
        ids = [h.id for h in waiting]
        position = ids.index(handoff.id) + 1 if handoff.id in ids else max(len(ids), 1)
        status = estimate(position, waits, online, (now - handoff.created_at).total_seconds())
        words = status.words(language(handoff), self.catalog)
        if handoff.announced != words:
            await in_thread(self.store.set_announced, handoff.id, words)
        return status

    async def refresh_statuses(self) -> int:
        """Tell waiting customers whose place or expected wait changed; how many were told.

        Only channels in ``settings.status_channels`` get these text-less updates
        (the web widget shows them in its banner); others would show nothing.
        What each customer was last sent is in the database and is compared under
        the conversation's lock, so of two processes refreshing at once one sends.
        """
        now = self.clock()
        waiting, waits, online = await self._queue_facts(now)
        told = 0
        for position, handoff in enumerate(waiting, start=1):
            if handoff.channel not in self.settings.status_channels:
                continue
            waited = (now - handoff.created_at).total_seconds()
            status = estimate(position, waits, online, waited)
            words = status.words(language(handoff), self.catalog)
            if handoff.announced == words:
                continue
            async with self.syncer.lock(handoff.conversation_id):
                current = await in_thread(self.store.active_handoff, handoff.conversation_id)
                if current is None or current.id != handoff.id or current.status != "waiting":
                    continue
                if current.announced == words:  # another process told them meanwhile
                    continue
                custom = {
                    "type": "handoff",
                    "state": "waiting",
                    **status.as_json(language(handoff), self.catalog),
                }
                try:
                    await self.gateway.update_status(handoff.conversation_id, custom)
                except GatewayError as e:
                    logger.info("queue update for %s not sent: %s", handoff.conversation_id, e)
                    continue
                await in_thread(self.store.set_announced, handoff.id, words)
            told += 1
        return told

    def _refresh_soon(self) -> None:
        """Refresh in the background after the queue moved (coalesced)."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        if self._refresh_task is None or self._refresh_task.done():
            self._refresh_task = loop.create_task(self._refresh_quietly())

    async def _refresh_quietly(self) -> None:
        try:
            await self.refresh_statuses()
        except Exception:  # a database hiccup: the next sweep tries again
            logger.exception("queue updates failed; the next sweep tries again")

    async def run_forever(self, interval_s: float) -> None:
        """Sync every active handoff and update waiting customers, every ``interval_s``.

        With several processes on PostgreSQL one of them sweeps (the holder of
        the ``sweep`` leader lock); the others ask again every ``interval_s`` and
        take over within one interval when the sweeper's connection ends.
        """
        while True:
            if await self._leads_sweep():
                try:
                    await self.syncer.sweep()
                except Exception:  # a database hiccup must not end the sweeps for good
                    logger.exception("sweep failed; trying again in %s s", interval_s)
                await self._refresh_quietly()
            await asyncio.sleep(interval_s)

    async def _leads_sweep(self) -> bool:
        shared = self.syncer.shared_locks
        return shared is None or await shared.lead(SWEEP_LEADER)

    async def drain(self) -> None:
        """Wait for background syncs and queue updates (tests, shutdown)."""
        await self.syncer.drain()
        if self._refresh_task is not None:
            await asyncio.gather(self._refresh_task, return_exceptions=True)
        await self.syncer.drain()

    async def _after_sync(self, handoff: Handoff, new: list[Message]) -> None:
        """A waiting customer who takes the request back leaves the queue (under the lock)."""
        if handoff.status != "waiting" or handoff.id in self._cancelling:
            return
        names = (self.settings.assistant_name,)
        if not any(
            m.sender == "customer" and wants_to_cancel(m.text, assistant_names=names) for m in new
        ):
            return
        bot = self.settings.assistant_name
        try:
            await self.gateway.resume(
                handoff.conversation_id,
                self.catalog.text("handoff.cancelled", language(handoff), bot=bot),
                custom={"cancelled": True},
                buttons=_resume_buttons(handoff),
            )
        except GatewayError as e:
            logger.warning("could not cancel the handoff of %s: %s", handoff.conversation_id, e)
            return
        # Store the bot's words, then close: the console shows both.
        self._cancelling.add(handoff.id)
        try:
            await self._sync_quietly(handoff.conversation_id)
        finally:
            self._cancelling.discard(handoff.id)
        await in_thread(self.store.close, handoff.id, "cancelled", expect=("waiting",))
        await self.audit(Actor(None), "cancel", f"handoff:{handoff.id}", by="customer")
        self._queue_changed()

    async def request(
        self,
        *,
        conversation_id: str,
        channel: str,
        reason: str,
        priority: int = 0,
        customer_name: str | None = None,
        client_ip: str | None = None,
        form: dict[str, str] | None = None,
        now: datetime | None = None,
        language: str | None = None,
    ) -> Outcome:
        """Queue the conversation, or say why not (``closed``, ``queue_full``, ``too_many``).

        ``language`` is the conversation's as the action saw it (its tracker may
        not have this turn's ``language`` slot yet): what the customer is told
        from here on is in it.

        A conversation that is already queued or with an agent gets its
        handoff back unchanged (the engine may ask twice). Nobody can fill the
        queue alone: one conversation gets at most ``max_requests_per_sender``
        new handoffs per :data:`REQUEST_WINDOW`, one client address at most
        ``max_waiting_per_ip`` waiting at once.
        """
        now = now or self.clock()
        async with self.syncer.lock(conversation_id), self._address_lock(client_ip):
            existing = await in_thread(self.store.active_handoff, conversation_id)
            if existing is not None:
                return Outcome(existing, created=False)
            if not self.settings.open_hours.is_open(now):
                return Outcome(None, unavailable="closed")
            if await self._too_many(conversation_id, client_ip, now):
                await self.audit(
                    Actor(None, client_ip or ""),
                    "handoff_limited",
                    f"conversation:{conversation_id}",
                )
                return Outcome(None, unavailable="too_many")
            if await in_thread(self.store.waiting_count) >= self.settings.max_queue:
                return Outcome(None, unavailable="queue_full")
            start: int | None = None
            context: dict[str, Any] = {"messages": [], "slots": {}}
            try:
                # The action that asked is waiting for this answer: do not retry for long.
                events = await asyncio.wait_for(
                    self.gateway.tracker_events(conversation_id), HISTORY_DEADLINE_S
                )
            except (GatewayError, TimeoutError) as e:
                logger.warning(
                    "handoff of %s queued without its history (%s); the first sync finds it",
                    conversation_id,
                    str(e) or "Rasa was slow",
                )
            else:
                # The action asking for a person runs before Rasa stores the turn,
                # so the turn's first event (the customer's request) comes next.
                start, context = len(events), transcript.context(events)
            if form:
                context["form"] = form  # interrupted by the request: offered again on return
            if language:
                context.setdefault("slots", {})[LANGUAGE_SLOT] = language
            handoff, created = await in_thread(
                self.store.create,
                Handoff(
                    conversation_id=conversation_id,
                    channel=channel,
                    reason=redact(reason),
                    priority=priority,
                    status="waiting",
                    customer_name=redact(customer_name) if customer_name else None,
                    client_ip=client_ip,
                    created_at=now,
                    start_index=start,
                    last_synced_index=-1 if start is None else start - 1,
                    context=context,
                ),
            )
        if created:
            await self.audit(
                Actor(None), "handoff_requested", f"handoff:{handoff.id}", reason=handoff.reason
            )
            await self.status(handoff)  # what the customer is told first; updates follow changes
            self._queue_changed()
        return Outcome(handoff, created=created)

    @contextlib.asynccontextmanager
    async def _address_lock(self, client_ip: str | None) -> AsyncIterator[None]:
        """Requests from one address one at a time, in every process, so its limit holds
        under a burst."""
        if not client_ip:
            yield
            return
        async with self._address_locks[hash(client_ip) % len(self._address_locks)]:
            shared = self.syncer.shared_locks
            if shared is None:
                yield
            else:
                async with shared.hold("address:" + client_ip):
                    yield

    async def _too_many(self, conversation_id: str, client_ip: str | None, now: datetime) -> bool:
        since = now - REQUEST_WINDOW
        asked = await in_thread(self.store.requested_since, conversation_id, since)
        if asked >= self.settings.max_requests_per_sender:
            return True
        if client_ip and not _shared_address(client_ip):
            waiting = await in_thread(self.store.waiting_from, client_ip)
            return waiting >= self.settings.max_waiting_per_ip
        return False

    async def create_ticket(self, conversation_id: str, contact: str, note: str | None) -> int:
        # The contact is what the ticket is for; anything else personal in the note is not.
        note = redact(note) if note else note
        ticket = await in_thread(self.store.add_ticket, conversation_id, contact, note)
        await self.audit(Actor(None), "ticket_created", f"ticket:{ticket.id}")
        return ticket.id

    # console side

    async def queue_for(self, user: Staff) -> list[Handoff]:
        return [h for h in await in_thread(self.store.active) if can_view(user, h)]

    async def viewable(self, user: Staff, handoff_id: int) -> Handoff:
        """The handoff if ``user`` may see it; the same :class:`NotFound` if not or if missing.

        One answer for both, so an agent cannot learn which ids exist by probing.
        """
        try:
            handoff = await in_thread(self.store.get, handoff_id)
        except NotFound:
            handoff = None
        if handoff is None or not can_view(user, handoff):
            raise NotFound(
                f"There is no handoff {handoff_id} in the queue or among your conversations "
                "(a colleague may have claimed it, or it was closed); the queue is up to date."
            )
        return handoff

    async def detail(
        self, actor: Actor, handoff_id: int
    ) -> tuple[Handoff, list[Message], list[Note]]:
        assert actor.user is not None
        handoff = await self.viewable(actor.user, handoff_id)
        if handoff.active:
            # Fresh when Rasa answers quickly; a slow sync finishes in the background
            # and its messages arrive on the live stream.
            sync = asyncio.ensure_future(self.syncer.sync(handoff.conversation_id))
            try:
                await asyncio.wait_for(asyncio.shield(sync), VIEW_SYNC_DEADLINE_S)
            except (GatewayError, TimeoutError) as e:
                logger.warning("showing %s without a fresh sync: %s", handoff.conversation_id, e)
                sync.add_done_callback(_consume_error)
        messages = await in_thread(self.store.messages, handoff_id)
        notes = await in_thread(self.store.notes, handoff_id)
        await self.audit(actor, "view", f"handoff:{handoff_id}")
        return handoff, messages, notes

    async def _actable(self, user: Staff, handoff_id: int, *, need: tuple[str, ...]) -> Handoff:
        handoff = await self.viewable(user, handoff_id)
        if handoff.status == "assigned" and not can_act(user, handoff):
            raise Forbidden("This conversation belongs to another agent; ask a supervisor.")
        if handoff.status not in need:
            raise Conflict(
                f"This conversation is {handoff.status}; that is not possible now.",
                status=handoff.status,
            )
        return handoff

    async def claim(self, actor: Actor, handoff_id: int) -> Handoff:
        assert actor.user is not None
        handoff = await self.viewable(actor.user, handoff_id)
        async with self.syncer.lock(handoff.conversation_id):
            handoff = await self._actable(actor.user, handoff_id, need=("waiting",))
            await self._join(handoff, actor.user)
            handoff = await in_thread(
                self.store.assign, handoff_id, actor.user.id, expect=("waiting",)
            )
            await self._sync_quietly(handoff.conversation_id)
        await self.audit(actor, "claim", f"handoff:{handoff_id}")
        self._queue_changed()
        return handoff

    async def _join(self, handoff: Handoff, agent: Staff) -> None:
        await self.gateway.announce(
            handoff.conversation_id,
            self.catalog.text("handoff.joined", language(handoff), agent=agent.name),
            {"type": "handoff", "state": "agent", "agent": agent.name},
        )

    async def _sync_quietly(self, conversation_id: str) -> list[Message]:
        """Sync after an action Rasa accepted; if the read fails the sweep stores it later."""
        try:
            return await self.syncer.sync_locked(conversation_id)
        except GatewayError as e:
            logger.warning("stored %s later: %s", conversation_id, e)
            return []

    async def reply(self, actor: Actor, handoff_id: int, text: str) -> list[Message]:
        """Send the agent's text to the customer through Rasa; 502 leaves it unsent."""
        assert actor.user is not None
        text = _clean(text, MAX_REPLY_CHARS, "reply")
        handoff = await self.viewable(actor.user, handoff_id)
        async with self.syncer.lock(handoff.conversation_id):
            handoff = await self._actable(actor.user, handoff_id, need=("assigned",))
            await self.gateway.send_agent_message(handoff.conversation_id, text, actor.user.name)
            new = await self._sync_quietly(handoff.conversation_id)
        await self.audit(actor, "reply", f"handoff:{handoff_id}", chars=len(text))
        return new

    async def note(self, actor: Actor, handoff_id: int, text: str) -> Note:
        assert actor.user is not None
        text = _clean(text, MAX_NOTE_CHARS, "note")
        handoff = await self._actable(actor.user, handoff_id, need=ACTIVE)
        if not can_act(actor.user, handoff):
            raise Forbidden(
                "Notes are for the agent who holds the conversation (or a supervisor); "
                "claim it first."
            )
        note = await in_thread(self.store.add_note, handoff.id, actor.user.id, redact(text))
        await self.audit(actor, "note", f"handoff:{handoff_id}", note_id=note.id)
        self.hub.publish(
            {
                "type": "note",
                "handoff_id": handoff.id,
                "status": handoff.status,
                "agent_id": handoff.agent_id,
                "note": {
                    "id": note.id,
                    "author": actor.user.name,
                    "text": note.text,
                    "at": note.created_at.isoformat(),
                },
            }
        )
        return note

    async def close(self, actor: Actor, handoff_id: int, status: str) -> Handoff:
        """``resolved`` or ``returned``: the bot answers again either way."""
        assert actor.user is not None and status in ("resolved", "returned")
        handoff = await self.viewable(actor.user, handoff_id)
        async with self.syncer.lock(handoff.conversation_id):
            handoff = await self._actable(actor.user, handoff_id, need=ACTIVE)
            if handoff.status == "waiting" and not actor.user.is_supervisor:
                raise Forbidden("Claim the conversation first, or ask a supervisor.")
            bot = self.settings.assistant_name
            key = "handoff.resolved" if status == "resolved" else "handoff.returned"
            text = self.catalog.text(key, language(handoff), bot=bot)
            await self.gateway.resume(
                handoff.conversation_id,
                text,
                buttons=_resume_buttons(handoff),
                csat_question=self._csat_question(handoff),
            )
            await self._sync_quietly(handoff.conversation_id)
            handoff = await in_thread(self.store.close, handoff_id, status)
        await self.audit(
            actor, "resolve" if status == "resolved" else "return", f"handoff:{handoff_id}"
        )
        self._queue_changed()
        return handoff

    def _csat_question(self, handoff: Handoff) -> str | None:
        """The 1-5 rating question once a person has talked with the customer; else None.

        Not when the customer is offered to carry on with a form the request for a
        person interrupted: the conversation goes on, and a short answer to the
        form ("2") must not be taken for a rating.
        """
        if not self.settings.csat or handoff.agent_id is None or _resume_buttons(handoff):
            return None
        return self.catalog.text("handoff.csat_question", language(handoff))

    async def reassign(self, actor: Actor, handoff_id: int, agent: Staff) -> Handoff:
        assert actor.user is not None
        if not actor.user.is_supervisor:
            raise Forbidden("Only supervisors can reassign conversations.")
        handoff = await self.viewable(actor.user, handoff_id)
        async with self.syncer.lock(handoff.conversation_id):
            handoff = await self._actable(actor.user, handoff_id, need=ACTIVE)
            if handoff.agent_id == agent.id:
                raise Conflict(
                    f"{agent.name} has this conversation already.", status=handoff.status
                )
            previous = handoff.agent_id
            await self._join(handoff, agent)
            handoff = await in_thread(self.store.assign, handoff_id, agent.id, expect=ACTIVE)
            await self._sync_quietly(handoff.conversation_id)
        await self.audit(
            actor, "reassign", f"handoff:{handoff_id}", from_agent=previous, to_agent=agent.id
        )
        self._queue_changed()
        return handoff


def language(handoff: Handoff) -> str | None:
    """The conversation's language when the customer asked for a person (None: the default)."""
    slots = (handoff.context or {}).get("slots")
    value = slots.get(LANGUAGE_SLOT) if isinstance(slots, dict) else None
    return value if isinstance(value, str) and value else None


def _resume_buttons(handoff: Handoff) -> list[dict[str, str]] | None:
    """A button to carry on with the form the request for a person interrupted."""
    form = (handoff.context or {}).get("form")
    if not isinstance(form, dict) or not form.get("title") or not form.get("payload"):
        return None
    return [{"title": str(form["title"]), "payload": str(form["payload"])}]


def _shared_address(client_ip: str) -> bool:
    """Loopback: a local client or a reverse proxy that relays every customer (unless
    Sanic is told to trust its forwarded headers), so it names no one customer."""
    try:
        return ipaddress.ip_address(client_ip).is_loopback
    except ValueError:
        return False
