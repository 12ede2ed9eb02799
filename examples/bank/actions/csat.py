"""Penny asks for a 1-5 rating at goodbye; the kit does the rest (``bot.sdk``)."""

from __future__ import annotations

from bot.sdk import ActionAskCsat, ActionRecordCsat


class AskCsat(ActionAskCsat):
    def name(self) -> str:
        return "action_ask_csat"


class RecordCsat(ActionRecordCsat):
    def name(self) -> str:
        return "action_record_csat"
