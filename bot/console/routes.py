"""The agent console: login pages, the single page, its JSON API and live stream.

Routes only translate between HTTP and :class:`~bot.handoff.service.HandoffService`;
permissions and state rules live there. Unauthenticated API calls get a 401
JSON, unauthenticated page loads a redirect to the login form.
"""

from __future__ import annotations

import asyncio
import hmac
import html
import json
import math
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from bot.console import auth
from bot.handoff.accounts import Staff
from bot.handoff.errors import Forbidden, InvalidInput, NotAuthenticated, NotFound
from bot.handoff.live import DROPPED
from bot.handoff.models import Handoff, Note
from bot.handoff.service import Actor, may_view
from bot.handoff.service import language as handoff_language
from bot.handoff.sync import in_thread, message_json

STATIC = Path(__file__).resolve().parent / "static"
router = APIRouter(prefix="/console")


class TextBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, max_length=4000)


class ReassignBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    agent_id: int = Field(ge=1)


def runtime(request: Request) -> Any:
    return request.app.state.runtime


async def csrf_user(request: Request, user: Annotated[Staff, Depends(auth.current_user)]) -> Staff:
    auth.check_csrf(request, user, runtime(request).settings)
    return user


User = Annotated[Staff, Depends(auth.current_user)]
PostingUser = Annotated[Staff, Depends(csrf_user)]


def actor(request: Request, user: Staff) -> Actor:
    return Actor(user, auth.client_ip(request))


def handoff_json(handoff: Handoff) -> dict[str, Any]:
    return {
        "id": handoff.id,
        "conversation_id": handoff.conversation_id,
        "channel": handoff.channel,
        "reason": handoff.reason,
        "priority": handoff.priority,
        "status": handoff.status,
        "customer_name": handoff.customer_name,
        # the conversation's language when the customer asked (None: the default, English)
        "language": handoff_language(handoff),
        "agent_id": handoff.agent_id,
        "agent": handoff.agent.display_name if handoff.agent else None,
        "created_at": handoff.created_at.isoformat(),
        "assigned_at": handoff.assigned_at.isoformat() if handoff.assigned_at else None,
        "closed_at": handoff.closed_at.isoformat() if handoff.closed_at else None,
    }


def note_json(note: Note) -> dict[str, Any]:
    return {
        "id": note.id,
        "author": note.author.display_name,
        "text": note.text,
        "at": note.created_at.isoformat(),
    }


def render_page(page: str, **values: str) -> str:
    """A static HTML file with its ``{{key}}`` placeholders filled in, HTML-escaped."""
    text = (STATIC / page).read_text(encoding="utf-8")
    for key, value in values.items():
        text = text.replace("{{" + key + "}}", html.escape(value, quote=True))
    return text


# pages


@router.get("/login", response_class=HTMLResponse)
async def login_form(request: Request) -> HTMLResponse:
    return _login_page(request)


def _login_page(request: Request, *, error: str = "", status: int = 200) -> HTMLResponse:
    settings = runtime(request).settings
    prelogin, is_new = auth.prelogin_value(request)
    response = HTMLResponse(
        render_page("login.html", csrf=auth.login_csrf(settings, prelogin), error=error),
        status_code=status,
        headers={"cache-control": "no-store"},
    )
    if is_new:
        auth.set_prelogin_cookie(response, prelogin, settings)
    return response


@router.post("/login")
async def login(
    request: Request,
    email: Annotated[str, Form(max_length=254)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    csrf_token: Annotated[str, Form(max_length=128)] = "",
) -> Any:
    rt = runtime(request)
    settings = rt.settings
    auth.check_origin(request, settings)
    prelogin = request.cookies.get(auth.LOGIN_COOKIE, "")
    if not prelogin or not hmac.compare_digest(
        csrf_token.encode(), auth.login_csrf(settings, prelogin).encode()
    ):
        raise Forbidden("The login form expired or was not sent from this site; reload the page.")
    ip = auth.client_ip(request)
    email = email.strip().lower()
    wait = await in_thread(rt.throttle.reserve, email, ip)
    if wait > timedelta(0):
        seconds = math.ceil(wait.total_seconds())
        await rt.service.audit(Actor(None, ip), "login_throttled", f"user:{email}")
        page = _login_page(
            request,
            status=429,
            error=f"Too many failed sign-ins for this account from here. Try again in {seconds} "
            "seconds, or ask a supervisor to help.",
        )
        page.headers["retry-after"] = str(seconds)
        return page
    user = (
        await in_thread(rt.accounts.authenticate, email, password) if email and password else None
    )
    if user is not None:
        await in_thread(rt.throttle.succeeded, email, ip)
    else:
        await in_thread(
            rt.store.audit, "login_failed", actor=email or "-", target=f"user:{email}", ip=ip
        )
        await auth.slow_down(settings)
        return _login_page(request, status=401, error="Wrong e-mail address or password.")
    token, _ = await in_thread(
        rt.accounts.start_session,
        user,
        lifetime=timedelta(hours=settings.session_max_h),
        replaces=request.cookies.get(auth.SESSION_COOKIE),
    )
    await in_thread(rt.accounts.purge_sessions, idle=timedelta(minutes=settings.session_idle_min))
    await rt.service.audit(Actor(user, ip), "login", f"user:{user.id}")
    response = RedirectResponse("/console/", status_code=303)
    auth.set_session_cookie(response, token, settings)
    return response


@router.post("/logout")
async def logout(request: Request, user: PostingUser) -> JSONResponse:
    rt = runtime(request)
    await in_thread(rt.accounts.end_session, request.cookies.get(auth.SESSION_COOKIE, ""))
    await rt.service.audit(actor(request, user), "logout", f"user:{user.id}")
    response = JSONResponse({"status": "signed_out", "login": "/console/login"})
    auth.clear_session_cookie(response, rt.settings)
    return response


@router.get("", include_in_schema=False)
async def console_root() -> RedirectResponse:
    return RedirectResponse("/console/", status_code=307)


@router.get("/", response_class=HTMLResponse)
async def console_page(request: Request) -> Any:
    try:
        user = await auth.current_user(request)
    except NotAuthenticated:
        return RedirectResponse("/console/login", status_code=303)
    return HTMLResponse(
        render_page(
            "console.html",
            csrf=user.csrf_token,
            name=user.name,
            role=user.role,
            user_id=str(user.id),
        ),
        headers={"cache-control": "no-store"},
    )


# JSON API


@router.get("/api/me")
async def me(user: User) -> dict[str, Any]:
    return {"id": user.id, "email": user.email, "name": user.name, "role": user.role}


async def _queue(request: Request, user: Staff) -> list[dict[str, Any]]:
    return [handoff_json(h) for h in await runtime(request).service.queue_for(user)]


@router.get("/api/queue")
async def queue(request: Request, user: User) -> list[dict[str, Any]]:
    return await _queue(request, user)


@router.get("/api/staff")
async def staff(request: Request, user: User) -> list[dict[str, Any]]:
    if not user.is_supervisor:
        raise Forbidden("Only supervisors can list staff.")
    people = await in_thread(runtime(request).accounts.staff)
    return [{"id": p.id, "name": p.name, "role": p.role} for p in people]


@router.get("/api/handoffs/{handoff_id}")
async def detail(request: Request, handoff_id: int, user: User) -> dict[str, Any]:
    rt = runtime(request)
    handoff, messages, notes = await rt.service.detail(actor(request, user), handoff_id)
    assist = rt.assistant.for_handoff(handoff, messages)
    return {
        "handoff": handoff_json(handoff),
        "context": handoff.context or {},
        "messages": [message_json(m) for m in messages],
        "notes": [note_json(n) for n in notes],
        "summary": assist.summary,
        "suggestions": assist.suggestions,
        "assist_source": assist.source,
        "can_act": user.is_supervisor or handoff.agent_id == user.id,
    }


@router.get("/api/handoffs/{handoff_id}/assist")
async def assist(request: Request, handoff_id: int, user: User) -> dict[str, Any]:
    """The summary and suggestions again, after new messages (not a new transcript view)."""
    rt = runtime(request)
    handoff = await rt.service.viewable(user, handoff_id)
    messages = await in_thread(rt.store.messages, handoff_id)
    result = rt.assistant.for_handoff(handoff, messages)
    return {**result.as_json(), "last_seq": messages[-1].seq if messages else -1}


@router.post("/api/handoffs/{handoff_id}/claim")
async def claim(request: Request, handoff_id: int, user: PostingUser) -> dict[str, Any]:
    return handoff_json(await runtime(request).service.claim(actor(request, user), handoff_id))


@router.post("/api/handoffs/{handoff_id}/reply")
async def reply(request: Request, handoff_id: int, body: TextBody, user: PostingUser) -> Any:
    new = await runtime(request).service.reply(actor(request, user), handoff_id, body.text)
    return {"status": "sent", "messages": [message_json(m) for m in new]}


@router.post("/api/handoffs/{handoff_id}/notes", status_code=201)
async def add_note(request: Request, handoff_id: int, body: TextBody, user: PostingUser) -> Any:
    return note_json(
        await runtime(request).service.note(actor(request, user), handoff_id, body.text)
    )


@router.post("/api/handoffs/{handoff_id}/resolve")
async def resolve(request: Request, handoff_id: int, user: PostingUser) -> dict[str, Any]:
    service = runtime(request).service
    return handoff_json(await service.close(actor(request, user), handoff_id, "resolved"))


@router.post("/api/handoffs/{handoff_id}/return")
async def return_to_bot(request: Request, handoff_id: int, user: PostingUser) -> dict[str, Any]:
    service = runtime(request).service
    return handoff_json(await service.close(actor(request, user), handoff_id, "returned"))


@router.post("/api/handoffs/{handoff_id}/reassign")
async def reassign(
    request: Request, handoff_id: int, body: ReassignBody, user: PostingUser
) -> dict[str, Any]:
    rt = runtime(request)
    try:
        target = await in_thread(rt.accounts.get, body.agent_id)
    except NotFound as e:
        raise InvalidInput(f"There is no staff member {body.agent_id} to hand this to.") from e
    return handoff_json(await rt.service.reassign(actor(request, user), handoff_id, target))


# live stream


def _sse(event: str, data: Any) -> str:
    return f"event: {event}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"


@router.get("/api/stream")
async def stream(request: Request, user: User) -> StreamingResponse:
    """Queue snapshots and new messages as Server-Sent Events, with keep-alives."""
    rt = runtime(request)
    token = request.cookies.get(auth.SESSION_COOKIE, "")
    idle = timedelta(minutes=rt.settings.session_idle_min)

    async def signed_in() -> bool:
        return await in_thread(rt.accounts.session_user, token, idle=idle) is not None

    async def events() -> AsyncIterator[str]:
        with rt.hub.subscribe() as inbox:
            yield "retry: 3000\n\n"
            yield _sse("queue", await _queue(request, user))
            check_at = time.monotonic() + rt.settings.keepalive_s
            while True:
                try:
                    event: dict[str, Any] | None = await asyncio.wait_for(
                        inbox.get(), rt.settings.keepalive_s
                    )
                except TimeoutError:
                    event = None
                if time.monotonic() >= check_at:
                    if not await signed_in():
                        yield _sse("signed_out", {"login": "/console/login"})
                        return
                    check_at = time.monotonic() + rt.settings.keepalive_s
                if event is None:
                    yield ": keep-alive\n\n"
                    continue
                if event is DROPPED:
                    return
                if event["type"] == "queue":
                    yield _sse("queue", await _queue(request, user))
                elif may_view(user, event.get("status"), event.get("agent_id")):
                    yield _sse(event["type"], {k: v for k, v in event.items() if k != "type"})

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"cache-control": "no-store", "x-accel-buffering": "no"},
    )
