"""A summary of the conversation so far and replies the agent might send.

Prompt building, the model call and parsing are separate steps. The console
never waits for a model: a request gets what is ready now (a cached model
answer for this exact transcript, or the deterministic extractive summary:
the customer's request, the known details, the last messages) while the model
runs in a worker thread under a deadline; its answer reaches the page as an
``assist`` event on the live stream. A model that fails, times out or answers
off-format leaves the extractive version in place.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from functools import partial
from typing import Any

from bot.handoff.live import Hub
from bot.handoff.models import Handoff
from bot.handoff.models import Message as StoredMessage
from bot.privacy import redact
from generators import guardrails
from generators.errors import GeneratorError, ValidationFailed
from generators.text import GenerationOptions, Message, TextGenerator, generate_within

logger = logging.getLogger(__name__)

PROMPT_LINES = 20
_MAX_LINE_CHARS = 300
_LABEL = {"customer": "Customer", "bot": "Bot", "agent": "Agent", "system": "System"}
_REPLY = re.compile(r"^\s*reply\s*\d\s*[:.)-]\s*(.+)$", re.IGNORECASE | re.MULTILINE)
_SUMMARY = re.compile(
    r"summary\s*:\s*(.+?)(?=^\s*reply\s*\d|\Z)", re.IGNORECASE | re.DOTALL | re.MULTILINE
)
SYSTEM = (
    "You help a customer-service agent. Read the conversation between a customer, the "
    "assistant bot and the agent, then write exactly:\n"
    "Summary: <one or two sentences: what the customer wants and what happened so far>\n"
    "Reply 1: <a short, polite message the agent could send next>\n"
    "Reply 2: <another one>\n"
    "Reply 3: <another one>\n"
    "Do not invent facts, prices or promises."
)


@dataclass(frozen=True)
class Assist:
    summary: str
    suggestions: list[str] = field(default_factory=list)
    source: str = "extractive"  # or "model"

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def _short(text: str, limit: int = 140) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def conversation(handoff: Handoff, messages: Sequence[StoredMessage]) -> list[tuple[str, str]]:
    """``(sender, text)`` of the context before the handoff, then of its transcript."""
    before = [(m["sender"], m["text"]) for m in (handoff.context or {}).get("messages", [])]
    return before + [(m.sender, m.text) for m in messages]


# Messages that say how the customer wants to be helped, not what the problem is.
NOT_A_PROBLEM_INTENTS = frozenset(
    {
        "ask_human",
        "greet",
        "goodbye",
        "thanks",
        "affirm",
        "deny",
        "stop",
        "tell_name",
        "bot_challenge",
        "ask_remember_me",
        "inform",
    }
)
# Bookkeeping of the assistant, not something the customer told it.
HIDDEN_SLOTS = frozenset(
    {"answer_outcome", "handoff_reason", "handoff_contact", "credit_last_result"}
)
REASONS = {
    "customer_request": "the customer asked for a person",
    "ask_human": "the customer asked for a person",
    "frustration": "the customer sounded frustrated",
    "complaint": "the customer made a complaint",
    "repeated_fallback": "the assistant did not understand twice",
    "low_confidence": "the assistant was unsure what the customer meant",
    "credit_declined": "the credit pre-check was declined",
}
UPSET = frozenset({"frustration", "complaint"})
_PERSON = (
    r"(?:person|human|agent|someone|somebody|colleague|representative|operator|staff|"
    r"real people|people|advisor|adviser)"
)
_ASKS_FOR_A_PERSON = re.compile(
    r"\b(?:talk|speak|chat|connect|transfer|put me through|get me|give me|want|need|"
    rf"let me|ask for)\b.{{0,25}}\b{_PERSON}\b",
    re.IGNORECASE,
)
_JUST_A_PERSON = re.compile(rf"\b{_PERSON}\b", re.IGNORECASE)
_GREETING = re.compile(r"^(?:hi|hello|hey|hiya|morning|good (?:morning|afternoon|evening))\b", re.I)
_PROBLEM_LINES = 2


def _is_problem(text: str, intent: str | None) -> bool:
    """Whether a customer message says what is wrong or wanted (not "a person, please")."""
    if intent in NOT_A_PROBLEM_INTENTS:
        return False
    words = text.split()
    if len(words) < 2 or (len(words) <= 6 and _GREETING.match(text.strip())):
        return False
    if len(words) <= 3 and _JUST_A_PERSON.search(text):
        return False  # "human please", "agent!!"
    return not (len(words) <= 10 and _ASKS_FOR_A_PERSON.search(text))


def problem(handoff: Handoff, messages: Sequence[StoredMessage]) -> list[str]:
    """The customer's own words about their problem: the first substantive messages.

    Earlier messages carry their intent (see :func:`bot.handoff.transcript.context`);
    the handoff's own transcript does not, so there the wording decides.
    """
    said = [
        (str(m.get("text", "")), m.get("intent"))
        for m in (handoff.context or {}).get("messages", [])
        if m.get("sender") == "customer"
    ]
    said += [(m.text, None) for m in messages if m.sender == "customer"]
    found = [_short(text) for text, intent in said if _is_problem(text, intent)]
    return list(dict.fromkeys(found))[:_PROBLEM_LINES]


def _reason(handoff: Handoff) -> str:
    return REASONS.get(handoff.reason, handoff.reason)


def _form(handoff: Handoff) -> str | None:
    form = (handoff.context or {}).get("form")
    if isinstance(form, dict) and form.get("name"):
        return str(form["name"]).removesuffix("_form").replace("_", " ")
    return None


def extractive(
    handoff: Handoff, messages: Sequence[StoredMessage], *, assistant_name: str = "the assistant"
) -> Assist:
    """The deterministic summary and replies: instant, and never wrong about the facts."""
    lines = conversation(handoff, messages)
    issue = problem(handoff, messages)
    if issue:
        parts = [f"Problem (in the customer's words): {' / '.join(issue)}"]
    else:
        parts = ["Problem: not said yet; the customer asked for a person straight away."]
    parts.append(f"Handed over because: {_reason(handoff)}")
    form = _form(handoff)
    if form:
        parts.append(f"Interrupted: the {form} questions (the answers so far are below)")
    slots = {
        k: v for k, v in (handoff.context or {}).get("slots", {}).items() if k not in HIDDEN_SLOTS
    }
    if handoff.customer_name and handoff.customer_name not in slots.values():
        slots = {"name": handoff.customer_name, **slots}
    if slots:
        details = "; ".join(
            f"{k.replace('_', ' ')}: {_short(str(v), 60)}" for k, v in list(slots.items())[:8]
        )
        parts.append(f"Known details: {details}")
    said = [(s, t) for s, t in lines if s != "system"]
    if said:
        parts.append("Last messages:")
        parts += [f"{_LABEL.get(s, s)}: {_short(t, 120)}" for s, t in said[-3:]]

    name = f" {handoff.customer_name}" if handoff.customer_name else ""
    answered = any(m.sender == "agent" for m in messages)
    suggestions = []
    if not answered:
        about = f' about "{_short(issue[0], 60)}"' if issue else ""
        suggestions.append(
            f"Hi{name}, thanks for waiting. I've read what you told {assistant_name}{about} "
            "and I'm here to help."
        )
    if handoff.reason in UPSET and not answered:
        suggestions.append("I'm sorry for the trouble you've had. Let's put this right.")
    if form and not answered:
        suggestions.append(
            f"I can see you were in the middle of the {form} questions; I can help you finish "
            "them, or answer your question first."
        )
    last = said[-1] if said else ("", "")
    if last[0] == "customer" and last[1].rstrip().endswith("?"):
        suggestions.append("Let me check that for you; it will take a moment.")
    if issue:
        suggestions.append(
            "Could you tell me a little more, for example when this started and your order "
            "number if you have one?"
        )
    else:
        suggestions.append("What can I help you with today?")
    suggestions.append("Is there anything else I can help you with today?")
    # The stored transcript is redacted already; a database written before that was not.
    return Assist(redact("\n".join(parts)), [redact(s) for s in suggestions[:3]], "extractive")


def build_prompt(handoff: Handoff, messages: Sequence[StoredMessage]) -> list[Message]:
    """Chat messages for the model; personal data is redacted before it sees anything."""
    lines = conversation(handoff, messages)[-PROMPT_LINES:]
    slots = {
        k: v for k, v in (handoff.context or {}).get("slots", {}).items() if k not in HIDDEN_SLOTS
    }
    hide = guardrails.redact
    body = [f"Reason for the handoff: {hide(_reason(handoff))}"]
    issue = problem(handoff, messages)
    if issue:
        body.append("The customer's problem, in their words: " + hide(" / ".join(issue)))
    if slots:
        body.append("Known details: " + "; ".join(f"{k}: {hide(str(v))}" for k, v in slots.items()))
    body.append("Conversation:")
    body += [f"{_LABEL.get(s, s)}: {hide(_short(t, _MAX_LINE_CHARS))}" for s, t in lines]
    return [Message("system", SYSTEM), Message("user", "\n".join(body))]


def parse(raw: str) -> Assist:
    """The model's answer as an :class:`Assist`; :class:`ValidationFailed` keeps ``raw``."""
    summary = _SUMMARY.search(raw)
    replies = [_short(r.strip(), _MAX_LINE_CHARS) for r in _REPLY.findall(raw) if r.strip()]
    if summary is None or len(summary.group(1).strip()) < 10 or len(replies) < 2:
        raise ValidationFailed("The model did not answer as 'Summary: ... Reply 1: ...'.", raw=raw)
    return Assist(
        redact(_short(summary.group(1).strip(), 600)), [redact(r) for r in replies[:3]], "model"
    )


GeneratorFactory = Callable[[], TextGenerator | None]


def generator_from_env() -> TextGenerator | None:
    """The project's configured text generator; ``None`` when it is the extractive one."""
    from bot.settings import ActionSettings

    generator = ActionSettings.from_env().text.build_generator()
    return None if generator.name == "extractive" else generator


class Assistant:
    """Summaries and suggestions per handoff, cached per transcript state."""

    def __init__(
        self,
        *,
        hub: Hub,
        factory: GeneratorFactory | None = generator_from_env,
        deadline_s: float = 8.0,
        assistant_name: str = "the assistant",
        cache_size: int = 256,
    ) -> None:
        self.hub = hub
        self.deadline_s = deadline_s
        self.assistant_name = assistant_name
        self._factory = factory
        self._generator: TextGenerator | None = None
        self._loaded = factory is None
        self._cache: OrderedDict[tuple[int, int], Assist] = OrderedDict()
        self._running: dict[tuple[int, int], asyncio.Task[None]] = {}
        self._one_at_a_time = asyncio.Semaphore(1)
        self.cache_size = cache_size

    def for_handoff(self, handoff: Handoff, messages: Sequence[StoredMessage]) -> Assist:
        """What is ready now; starts the model in the background when it may do better."""
        key = (handoff.id, messages[-1].seq if messages else -1)
        if key in self._cache:
            return self._cache[key]
        if not (self._loaded and self._generator is None) and key not in self._running:
            task = asyncio.get_running_loop().create_task(self._generate(key, handoff, messages))
            self._running[key] = task
            task.add_done_callback(lambda _: self._running.pop(key, None))
        return extractive(handoff, messages, assistant_name=self.assistant_name)

    async def _load(self) -> TextGenerator | None:
        if not self._loaded:
            try:
                assert self._factory is not None
                self._generator = await asyncio.to_thread(self._factory)
            except GeneratorError as e:
                logger.warning("no model for console summaries (%s); using extractive ones", e)
            self._loaded = True
        return self._generator

    async def _generate(
        self, key: tuple[int, int], handoff: Handoff, messages: Sequence[StoredMessage]
    ) -> None:
        async with self._one_at_a_time:
            generator = await self._load()
            if generator is None:
                return
            prompt = build_prompt(handoff, messages)
            options = GenerationOptions(max_new_tokens=200)
            try:
                raw = await asyncio.to_thread(
                    partial(generate_within, task="assist"),
                    generator,
                    prompt,
                    options,
                    self.deadline_s,
                )
                assist = parse(raw)
            except GeneratorError as e:
                logger.info("summary model gave no usable answer for handoff %s: %s", key[0], e)
                return
        self._cache[key] = assist
        while len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)
        self.hub.publish(
            {
                "type": "assist",
                "handoff_id": handoff.id,
                "status": handoff.status,
                "agent_id": handoff.agent_id,
                "last_seq": key[1],
                "assist": assist.as_json(),
            }
        )

    async def drain(self) -> None:
        while self._running:
            await asyncio.gather(*list(self._running.values()), return_exceptions=True)

    async def cancel(self) -> None:
        for task in list(self._running.values()):
            task.cancel()
        await asyncio.gather(*list(self._running.values()), return_exceptions=True)
