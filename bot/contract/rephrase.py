"""``POST /rephrase``: the engine asks the action server to reword a response.

::

    {"text": "<filled-in template>", "turns": [{"role": "user"|"bot", "text": ...}],
     "response": "utter_greet", "keep": ["<slot value>"], "deadline_s": 1.5}
    -> {"text": "<rephrased or the template>", "rephrased": true|false, "reason": ...}

The engine's ``RephrasingNLG`` builds :class:`RephraseRequest` and reads
:class:`RephraseReply`; the action server validates the same limits.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.contract.errors import ContractError

MAX_TEXT_CHARS = 2000
MAX_TURNS = 20
MAX_TURN_CHARS = 4000
MAX_KEEP = 20
MAX_RESPONSE_CHARS = 200
MAX_DEADLINE_S = 10.0
MAX_BODY_BYTES = 64 * 1024
ROLES = ("user", "bot")
EXAMPLE = (
    '{"text": "<template>", "turns": [{"role": "user", "text": "hi"}], "response": "utter_greet"}'
)


def _fail(message: str) -> ContractError:
    return ContractError(f"Invalid rephrase request ({message}); send {EXAMPLE}.")


@dataclass(frozen=True)
class RephraseTurn:
    """One earlier message of the conversation."""

    role: str
    text: str

    def to_dict(self) -> dict[str, str]:
        return {"role": self.role, "text": self.text}

    @classmethod
    def from_dict(cls, body: Any) -> RephraseTurn:
        if not isinstance(body, Mapping) or set(body) - {"role", "text"}:
            raise _fail('each turn is {"role": "user"|"bot", "text": "..."}')
        role, text = body.get("role"), body.get("text")
        if role not in ROLES:
            raise _fail(f"turns.role: give one of {', '.join(ROLES)}")
        if not isinstance(text, str) or len(text) > MAX_TURN_CHARS:
            raise _fail(f"turns.text: a string of at most {MAX_TURN_CHARS} characters")
        return cls(role=str(role), text=text)


@dataclass(frozen=True)
class RephraseRequest:
    text: str
    turns: tuple[RephraseTurn, ...] = ()
    response: str = ""
    keep: tuple[str, ...] = ()
    deadline_s: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "turns": [turn.to_dict() for turn in self.turns],
            "response": self.response,
            "keep": list(self.keep),
            "deadline_s": self.deadline_s,
        }

    @classmethod
    def from_dict(cls, body: Any) -> RephraseRequest:
        if not isinstance(body, Mapping):
            raise ContractError(f"The body must be a JSON object: {EXAMPLE}.")
        unknown = set(body) - {"text", "turns", "response", "keep", "deadline_s"}
        if unknown:
            raise _fail(f"unknown fields: {', '.join(sorted(unknown))}")
        text = body.get("text")
        if not isinstance(text, str) or not 1 <= len(text) <= MAX_TEXT_CHARS:
            raise _fail(f"text: 1 to {MAX_TEXT_CHARS} characters")
        turns = body.get("turns", [])
        if not isinstance(turns, Sequence) or isinstance(turns, str) or len(turns) > MAX_TURNS:
            raise _fail(f"turns: a list of at most {MAX_TURNS}")
        response = body.get("response", "")
        if not isinstance(response, str) or len(response) > MAX_RESPONSE_CHARS:
            raise _fail(f"response: a response name of at most {MAX_RESPONSE_CHARS} characters")
        keep = body.get("keep", [])
        if (
            not isinstance(keep, Sequence)
            or isinstance(keep, str)
            or len(keep) > MAX_KEEP
            or not all(isinstance(k, str) for k in keep)
        ):
            raise _fail(f"keep: a list of at most {MAX_KEEP} strings")
        deadline = body.get("deadline_s")
        if deadline is not None and (
            isinstance(deadline, bool)
            or not isinstance(deadline, int | float)
            or not 0 < deadline <= MAX_DEADLINE_S
        ):
            raise _fail(f"deadline_s: seconds above 0 and at most {MAX_DEADLINE_S}")
        return cls(
            text=text,
            turns=tuple(RephraseTurn.from_dict(turn) for turn in turns),
            response=response,
            keep=tuple(keep),
            deadline_s=None if deadline is None else float(deadline),
        )


@dataclass(frozen=True)
class RephraseReply:
    """The rewording, or the template as it was (``rephrased: false``) and why."""

    text: str
    rephrased: bool
    reason: str | None = field(default=None)

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "rephrased": self.rephrased, "reason": self.reason}

    @classmethod
    def from_dict(cls, body: Any) -> RephraseReply:
        if not (
            isinstance(body, Mapping)
            and isinstance(body.get("rephrased"), bool)
            and isinstance(body.get("text"), str)
            and isinstance(body.get("reason"), str | None)
        ):
            raise ContractError(
                'A rephrase reply is {"text": "...", "rephrased": true|false, "reason": ...}.',
                code="bad_reply",
            )
        return cls(text=body["text"], rephrased=body["rephrased"], reason=body.get("reason"))
