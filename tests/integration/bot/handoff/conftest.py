"""The handoff service in-process: a real app on a real SQLite file, a fake Rasa.

``harness`` runs the app's lifespan (migrations, sweeper) and talks to it
through httpx's ASGI transport; ``Console`` is a signed-in browser.
"""

from __future__ import annotations

import asyncio
import re
import socket
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import create_engine, text

from bot.handoff import FakeRasaGateway, HandoffSettings, Staff, create_app
from bot.handoff.app import Runtime

TOKEN = "service-token-for-tests-0123456789"
ORIGIN = "http://127.0.0.1:5070"
PASSWORD = "correct horse battery staple"
SERVICE = {"authorization": f"Bearer {TOKEN}"}


def reachable(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def settings(tmp_path: Path) -> HandoffSettings:
    return HandoffSettings(
        db_url=f"sqlite:///{tmp_path / 'handoff.db'}",
        service_token=TOKEN,
        sweep_s=3600,  # tests trigger syncs themselves; the first sweep runs at start-up
        login_failure_delay_s=0,
        keepalive_s=0.2,
        assistant_name="Volt",  # the reference assistant's (assistant.yml)
    )


@dataclass
class Harness:
    app: FastAPI
    client: httpx.AsyncClient
    gateway: FakeRasaGateway
    transport: httpx.ASGITransport

    @property
    def runtime(self) -> Runtime:
        runtime: Runtime = self.app.state.runtime
        return runtime

    async def user(self, email: str, name: str, role: str = "agent") -> Staff:
        return await asyncio.to_thread(
            self.runtime.accounts.create_user, email=email, name=name, role=role, password=PASSWORD
        )

    async def request_handoff(self, conversation_id: str, **body: Any) -> httpx.Response:
        payload = {"conversation_id": conversation_id, "channel": "socketio", "reason": "asked"}
        return await self.client.post("/api/handoffs", json={**payload, **body}, headers=SERVICE)

    async def sync(self, conversation_id: str) -> None:
        await self.runtime.service.syncer.sync(conversation_id)

    def audit(self, action: str | None = None) -> list[Any]:
        return self.runtime.store.audit_log(action=action)

    async def console(self, email: str) -> Console:
        browser = httpx.AsyncClient(transport=self.transport, base_url=ORIGIN)
        console = Console(browser)
        await console.login(email, PASSWORD)
        return console


@dataclass
class Console:
    """A browser with the console open: cookies, the page's CSRF token, same-origin posts."""

    http: httpx.AsyncClient
    csrf: str = ""

    async def login(self, email: str, password: str) -> httpx.Response:
        form = await self.http.get("/console/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        assert token, form.text
        response = await self.http.post(
            "/console/login",
            data={"email": email, "password": password, "csrf_token": token.group(1)},
            headers={"origin": ORIGIN},
        )
        if response.status_code == 303:
            page = await self.http.get("/console/")
            meta = re.search(r'name="csrf-token" content="([^"]+)"', page.text)
            assert meta
            self.csrf = meta.group(1)
        return response

    async def get(self, path: str) -> httpx.Response:
        return await self.http.get(path)

    async def post(self, path: str, json: Any = None, **headers: str) -> httpx.Response:
        sent = {"origin": ORIGIN, "x-csrf-token": self.csrf}
        sent.update({k.replace("_", "-"): v for k, v in headers.items()})
        return await self.http.post(path, json=json, headers={k: v for k, v in sent.items() if v})

    async def act(self, handoff_id: int, action: str, json: Any = None) -> httpx.Response:
        return await self.post(f"/console/api/handoffs/{handoff_id}/{action}", json=json)


@pytest.fixture
async def harness(settings: HandoffSettings) -> AsyncIterator[Harness]:
    async with running(settings) as h:
        yield h


@asynccontextmanager
async def running(
    settings: HandoffSettings,
    gateway: FakeRasaGateway | None = None,
    clock: Callable[[], datetime] | None = None,
) -> AsyncIterator[Harness]:
    """The app started (lifespan: migrations, sweeper) with a client on it."""
    fake = gateway or FakeRasaGateway()
    app = create_app(settings, gateway=fake, text_generator=None, clock=clock)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app)
        async with httpx.AsyncClient(transport=transport, base_url=ORIGIN) as client:
            yield Harness(app, client, fake, transport)


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh database on the local PostgreSQL, dropped afterwards."""
    if not reachable(5432):
        pytest.skip("PostgreSQL is not on 127.0.0.1:5432")
    name = f"handoff_{uuid.uuid4().hex[:12]}"
    admin = create_engine(
        "postgresql+psycopg://postgres@127.0.0.1:5432/test", isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def with_db(settings: HandoffSettings, url: str) -> HandoffSettings:
    return replace(settings, db_url=url)
