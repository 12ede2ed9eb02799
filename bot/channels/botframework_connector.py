"""The Bot Connector API, outbound: conversation references and posting activities.

A reply needs the conversation's service URL, ids and accounts. They arrive with
each validated activity; :class:`ConversationReferenceStore` keeps them in SQLite
keyed by the Rasa sender id, so messages that come later without a request (a
human agent's reply) can still be delivered, also after the engine restarts.
:class:`ConnectorClient` posts with the bot's token, retrying once on 401 (a
revoked token), 429 and 5xx.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import logging
import math
import sqlite3
import time
from collections.abc import Mapping
from contextlib import closing
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiohttp
from yarl import URL

from bot.channels import botframework_auth as auth

logger = logging.getLogger(__name__)

SENDER_PREFIX = "teams:"
MAX_RETRY_WAIT_S = 10.0


class ConnectorError(auth.BotFrameworkError):
    """The connector API refused or failed an activity, also after the one retry."""


class UnknownConversation(auth.BotFrameworkError):
    """No stored reference for a sender id: the user has not written to the bot yet."""

    status = 404


@dataclass(frozen=True)
class ConversationReference:
    """What the connector needs to post into a conversation, without a request in hand."""

    service_url: str
    conversation_id: str
    bot: dict[str, Any]
    user: dict[str, Any]
    tenant_id: str | None = None

    @property
    def sender_id(self) -> str:
        return SENDER_PREFIX + self.conversation_id

    @classmethod
    def from_activity(cls, activity: Mapping[str, Any]) -> ConversationReference | None:
        bot, user = activity.get("recipient"), activity.get("from")
        if not (isinstance(bot, dict) and isinstance(user, dict)):
            return None
        channel_data = activity.get("channelData")
        tenant_info = channel_data.get("tenant") if isinstance(channel_data, dict) else None
        tenant = (tenant_info.get("id") if isinstance(tenant_info, dict) else None) or activity[
            "conversation"
        ].get("tenantId")
        keep = ("id", "name", "aadObjectId")
        return cls(
            service_url=activity["serviceUrl"],
            conversation_id=activity["conversation"]["id"],
            bot={k: bot[k] for k in keep if isinstance(bot.get(k), str)},
            user={k: user[k] for k in keep if isinstance(user.get(k), str)},
            tenant_id=tenant if isinstance(tenant, str) else None,
        )


class ConversationReferenceStore:
    """References by sender id in SQLite; one short connection per call, run off the loop."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path, timeout=5)
        db.execute(
            "CREATE TABLE IF NOT EXISTS teams_conversations ("
            "sender_id TEXT PRIMARY KEY, reference TEXT NOT NULL, updated_at REAL NOT NULL)"
        )
        return db

    def save(self, reference: ConversationReference) -> None:
        with closing(self._connect()) as db, db:
            db.execute(
                "INSERT OR REPLACE INTO teams_conversations VALUES (?, ?, ?)",
                (reference.sender_id, json.dumps(asdict(reference)), time.time()),
            )

    def load(self, sender_id: str) -> ConversationReference | None:
        with closing(self._connect()) as db:
            row = db.execute(
                "SELECT reference FROM teams_conversations WHERE sender_id = ?", (sender_id,)
            ).fetchone()
        return ConversationReference(**json.loads(row[0])) if row else None


def retry_after(header: str | None) -> float:
    if not header:
        return 1.0
    try:
        seconds = float(header)
    except ValueError:
        try:
            seconds = email.utils.parsedate_to_datetime(header).timestamp() - time.time()
        except (TypeError, ValueError):
            seconds = 1.0
    return min(max(seconds, 0.0), MAX_RETRY_WAIT_S) if math.isfinite(seconds) else 1.0


class ConnectorClient:
    """Posts activities to the connector with the bot's token; one retry on 401/429/5xx."""

    def __init__(
        self, *, credentials: auth.ConnectorCredentials, sessions: auth.HttpSessions
    ) -> None:
        self.credentials = credentials
        self._sessions = sessions

    async def send(
        self, reference: ConversationReference, activity: dict[str, Any], reply_to: str | None
    ) -> dict[str, Any]:
        url = (
            f"{reference.service_url.rstrip('/')}/v3/conversations/"
            f"{quote(reference.conversation_id, safe='')}/activities"
        )
        if reply_to:
            url += "/" + quote(reply_to, safe="")
        for attempt in (1, 2):
            token = await self.credentials.token()
            headers = {"Authorization": f"Bearer {token}"}
            try:
                session = self._sessions.get()
                async with session.post(
                    URL(url, encoded=True), json=activity, headers=headers
                ) as r:
                    if r.status < 300:
                        try:
                            body = await r.json(content_type=None)
                        except ValueError:
                            body = None  # a 2xx without a JSON body still means delivered
                        return body if isinstance(body, dict) else {}
                    detail = (await r.text())[:200]
                    wait = retry_after(r.headers.get("Retry-After"))
                    status = r.status
            except (aiohttp.ClientError, asyncio.TimeoutError) as e:
                raise ConnectorError(f"Posting to {reference.service_url} failed: {e}") from e
            if status == 401:
                self.credentials.invalidate()
                wait = 0.0
            if attempt == 2 or not (status in (401, 429) or status >= 500):
                break
            logger.warning("connector answered %s; retrying in %.1f s", status, wait)
            await asyncio.sleep(wait)
        raise ConnectorError(f"The connector answered {status} for {url}: {detail}")
