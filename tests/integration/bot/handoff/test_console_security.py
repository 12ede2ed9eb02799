"""Sign-in, sessions, CSRF and origin checks, permissions and the audit trail."""

from __future__ import annotations

import asyncio
import re
from dataclasses import replace
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import update

from bot.console.auth import LOGIN_COOKIE, SESSION_COOKIE
from bot.handoff import HandoffSettings
from bot.handoff.accounts import token_hash
from bot.handoff.models import ConsoleSession, utcnow
from bot.handoff.throttle import FREE_ATTEMPTS, WINDOW, delay_after

from .conftest import ORIGIN, PASSWORD, Console, Harness, running


async def _queued(h: Harness, conversation_id: str = "c1") -> int:
    h.gateway.customer_says(conversation_id, "a person please")
    return int((await h.request_handoff(conversation_id)).json()["id"])


async def test_without_login_pages_redirect_and_api_calls_get_401(harness: Harness) -> None:
    page = await harness.client.get("/console/")
    assert page.status_code == 303
    assert page.headers["location"] == "/console/login"
    for path in (
        "/console/api/queue",
        "/console/api/me",
        "/console/api/handoffs/1",
        "/console/api/stream",
    ):
        response = await harness.client.get(path)
        assert response.status_code == 401, path
        assert "Sign in" in response.json()["error"]
    claim = await harness.client.post(
        "/console/api/handoffs/1/claim", headers={"origin": ORIGIN, "x-csrf-token": "x"}
    )
    assert claim.status_code == 401


async def test_login_page_is_hardened(harness: Harness) -> None:
    page = await harness.client.get("/console/login")
    assert page.status_code == 200
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"
    cookie = page.headers["set-cookie"]
    assert f"{LOGIN_COOKIE}=" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert "Secure" not in cookie  # loopback


async def test_secure_cookies_off_loopback(settings: HandoffSettings) -> None:
    async with running(replace(settings, secure_cookies=True)) as h:
        page = await h.client.get("/console/login")
        assert "Secure" in page.headers["set-cookie"]


async def test_wrong_password_is_refused_audited_and_throttled(harness: Harness) -> None:
    await harness.user("ana@example.com", "Ana")
    browser = Console(httpx.AsyncClient(transport=harness.transport, base_url=ORIGIN))
    wrong = await browser.login("ana@example.com", "not the password")
    assert wrong.status_code == 401
    assert "Wrong e-mail address or password" in wrong.text
    assert SESSION_COOKIE not in wrong.headers.get("set-cookie", "")
    unknown = await browser.login("nobody@example.com", PASSWORD)
    assert unknown.status_code == 401
    failed = harness.audit("login_failed")
    assert [e.actor for e in failed] == ["ana@example.com", "nobody@example.com"]
    assert all(e.ip == "127.0.0.1" for e in failed)
    for _ in range(FREE_ATTEMPTS - 1):
        await browser.login("ana@example.com", "still wrong")
    # even the right password waits once the free attempts are used up
    locked = await browser.login("ana@example.com", PASSWORD)
    assert locked.status_code == 429
    assert "Too many failed sign-ins" in locked.text
    assert int(locked.headers["retry-after"]) >= 1
    assert harness.audit("login_throttled")


def _browser(h: Harness, ip: str = "127.0.0.1") -> Console:
    transport = httpx.ASGITransport(h.app, client=(ip, 40000))
    return Console(httpx.AsyncClient(transport=transport, base_url=ORIGIN))


async def test_a_burst_of_wrong_passwords_gets_only_the_free_attempts_evaluated(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    await harness.user("ana@example.com", "Ana")
    accounts = harness.runtime.accounts
    evaluated = []
    authenticate = accounts.authenticate

    def counting(email: str, password: str) -> object:
        evaluated.append(password)
        return authenticate(email, password)

    monkeypatch.setattr(accounts, "authenticate", counting)
    browser = _browser(harness)
    form = await browser.http.get("/console/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token

    async def guess(n: int) -> int:
        answer = await browser.http.post(
            "/console/login",
            data={"email": "ana@example.com", "password": f"guess {n}", "csrf_token": token[1]},
            headers={"origin": ORIGIN},
        )
        return answer.status_code

    codes = await asyncio.gather(*(guess(n) for n in range(50)))
    assert len(evaluated) <= FREE_ATTEMPTS
    assert codes.count(401) == len(evaluated) and codes.count(429) == 50 - len(evaluated)


async def test_guessing_from_one_address_does_not_lock_the_account_out_elsewhere(
    harness: Harness,
) -> None:
    await harness.user("ana@example.com", "Ana")
    attacker = _browser(harness, "203.0.113.9")
    for _ in range(FREE_ATTEMPTS + 3):
        await attacker.login("ana@example.com", "a wrong guess")
    assert (await attacker.login("ana@example.com", PASSWORD)).status_code == 429
    # Ana, at her own desk, signs in at once
    ana = _browser(harness, "198.51.100.7")
    assert (await ana.login("ana@example.com", PASSWORD)).status_code == 303
    assert (await ana.get("/console/api/me")).json()["email"] == "ana@example.com"


def test_the_delay_grows_per_attempt_and_resets(harness: Harness) -> None:
    throttle = harness.runtime.throttle
    t0 = utcnow()
    for n in range(FREE_ATTEMPTS):
        assert throttle.reserve("ana@example.com", "10.0.0.1", now=t0) == timedelta(0), n
    assert throttle.reserve("ana@example.com", "10.0.0.1", now=t0) == delay_after(FREE_ATTEMPTS)
    waited = t0 + delay_after(FREE_ATTEMPTS)
    assert throttle.reserve("ana@example.com", "10.0.0.1", now=waited) == timedelta(0)
    second = delay_after(FREE_ATTEMPTS + 1)
    assert second == 2 * delay_after(FREE_ATTEMPTS)
    assert throttle.reserve("ana@example.com", "10.0.0.1", now=waited) == second
    # another address, another e-mail: unaffected
    assert throttle.reserve("ana@example.com", "10.0.0.2", now=waited) == timedelta(0)
    assert throttle.reserve("bob@example.com", "10.0.0.1", now=waited) == timedelta(0)
    # old failures are forgotten; a success clears the pair
    later = waited + WINDOW
    assert throttle.reserve("ana@example.com", "10.0.0.1", now=later) == timedelta(0)
    assert throttle.failures("ana@example.com", "10.0.0.1") == 1
    throttle.succeeded("ANA@example.com", "10.0.0.1")
    assert throttle.failures("ana@example.com", "10.0.0.1") == 0


async def test_login_form_needs_its_csrf_token_and_same_origin(harness: Harness) -> None:
    await harness.user("ana@example.com", "Ana")
    client = httpx.AsyncClient(transport=harness.transport, base_url=ORIGIN)
    form = await client.get("/console/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token
    credentials = {"email": "ana@example.com", "password": PASSWORD}
    missing = await client.post("/console/login", data=credentials, headers={"origin": ORIGIN})
    assert missing.status_code == 403
    forged = await client.post(
        "/console/login", data={**credentials, "csrf_token": "f" * 64}, headers={"origin": ORIGIN}
    )
    assert forged.status_code == 403
    # a token from another browser (another pre-login cookie) does not fit this one
    other = httpx.AsyncClient(transport=harness.transport, base_url=ORIGIN)
    other_form = await other.get("/console/login")
    other_token = re.search(r'name="csrf_token" value="([^"]+)"', other_form.text)
    assert other_token
    stolen = await client.post(
        "/console/login",
        data={**credentials, "csrf_token": other_token.group(1)},
        headers={"origin": ORIGIN},
    )
    assert stolen.status_code == 403
    cross = await client.post(
        "/console/login",
        data={**credentials, "csrf_token": token.group(1)},
        headers={"origin": "https://evil.example"},
    )
    assert cross.status_code == 403
    ok = await client.post(
        "/console/login",
        data={**credentials, "csrf_token": token.group(1)},
        headers={"origin": ORIGIN},
    )
    assert ok.status_code == 303


async def test_login_issues_a_new_session_id(harness: Harness) -> None:
    await harness.user("ana@example.com", "Ana")
    planted = "attacker-chosen-session-id-0123456789abcdef"
    browser = Console(httpx.AsyncClient(transport=harness.transport, base_url=ORIGIN))
    browser.http.cookies.set(SESSION_COOKIE, planted, domain="127.0.0.1", path="/console")
    assert (await browser.login("ana@example.com", PASSWORD)).status_code == 303
    issued = browser.http.cookies.get(SESSION_COOKIE, path="/console")
    assert issued and issued != planted and len(issued) >= 43  # 256 bits, base64url
    # a second login (e.g. after a takeover attempt) replaces the first session
    first = issued
    await browser.login("ana@example.com", PASSWORD)
    second = browser.http.cookies.get(SESSION_COOKIE, path="/console")
    assert second != first
    stale = httpx.AsyncClient(transport=harness.transport, base_url=ORIGIN)
    stale.cookies.set(SESSION_COOKIE, first, domain="127.0.0.1", path="/console")
    assert (await stale.get("/console/api/me")).status_code == 401
    # only hashes are stored
    with harness.runtime.store._db() as db:
        hashes = set(
            db.scalars(
                ConsoleSession.__table__.select().with_only_columns(ConsoleSession.token_hash)
            )
        )
    assert second and token_hash(second) in hashes and second not in hashes


async def test_posts_need_csrf_header_and_same_origin(harness: Harness) -> None:
    handoff_id = await _queued(harness)
    await harness.user("ana@example.com", "Ana")
    ana = await harness.console("ana@example.com")
    path = f"/console/api/handoffs/{handoff_id}/claim"
    no_token = await ana.http.post(path, headers={"origin": ORIGIN})
    wrong_token = await ana.http.post(path, headers={"origin": ORIGIN, "x-csrf-token": "nope"})
    cross = await ana.http.post(
        path, headers={"origin": "http://evil.example", "x-csrf-token": ana.csrf}
    )
    no_origin = await ana.http.post(path, headers={"x-csrf-token": ana.csrf})
    bad_referer = await ana.http.post(
        path, headers={"referer": "http://evil.example/x", "x-csrf-token": ana.csrf}
    )
    assert [r.status_code for r in (no_token, wrong_token, cross, no_origin, bad_referer)] == [
        403
    ] * 5
    assert "X-CSRF-Token" in no_token.json()["error"]
    assert "Cross-origin" in cross.json()["error"]
    assert harness.runtime.store.get(handoff_id).status == "waiting"
    assert harness.gateway.appended == []
    referer = await ana.http.post(
        path, headers={"referer": f"{ORIGIN}/console/", "x-csrf-token": ana.csrf}
    )
    assert referer.status_code == 200


async def test_expired_sessions_are_rejected(harness: Harness) -> None:
    await harness.user("ana@example.com", "Ana")
    ana = await harness.console("ana@example.com")
    assert (await ana.get("/console/api/me")).status_code == 200
    token = ana.http.cookies.get(SESSION_COOKIE, path="/console")
    idle = timedelta(minutes=harness.runtime.settings.session_idle_min)
    with harness.runtime.store._db.begin() as db:
        db.execute(update(ConsoleSession).values(last_seen=utcnow() - idle - timedelta(seconds=1)))
    assert (await ana.get("/console/api/me")).status_code == 401
    assert (await ana.get("/console/")).status_code == 303

    bob_user = await harness.user("bob@example.com", "Bob")
    bob = await harness.console("bob@example.com")
    with harness.runtime.store._db.begin() as db:  # absolute lifetime over, though active
        db.execute(
            update(ConsoleSession)
            .where(ConsoleSession.user_id == bob_user.id)
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    assert (await bob.get("/console/api/me")).status_code == 401
    assert token  # the expired token stays useless: its row is gone
    assert harness.runtime.accounts.session_user(token, idle=idle) is None


async def test_logout_invalidates_the_session(harness: Harness) -> None:
    await harness.user("ana@example.com", "Ana")
    ana = await harness.console("ana@example.com")
    token = ana.http.cookies.get(SESSION_COOKIE, path="/console")
    out = await ana.post("/console/logout")
    assert out.status_code == 200
    assert (await ana.get("/console/api/me")).status_code == 401
    replay = httpx.AsyncClient(transport=harness.transport, base_url=ORIGIN)
    replay.cookies.set(SESSION_COOKIE, token or "", domain="127.0.0.1", path="/console")
    assert (await replay.get("/console/api/me")).status_code == 401
    assert [e.actor for e in harness.audit("logout")] == ["ana@example.com"]


async def test_agents_cannot_act_on_each_others_conversations(harness: Harness) -> None:
    handoff_id = await _queued(harness)
    await harness.user("ana@example.com", "Ana")
    await harness.user("bob@example.com", "Bob")
    boss = await harness.user("sue@example.com", "Sue", role="supervisor")
    ana = await harness.console("ana@example.com")
    bob = await harness.console("bob@example.com")
    sue = await harness.console("sue@example.com")
    assert (await ana.act(handoff_id, "claim")).status_code == 200

    # Bob no longer sees it, and may do nothing with it: for him it does not exist
    assert [h["id"] for h in (await bob.get("/console/api/queue")).json()] == []
    assert (await bob.get(f"/console/api/handoffs/{handoff_id}")).status_code == 404
    for action, body in (
        ("reply", {"text": "hi"}),
        ("notes", {"text": "n"}),
        ("resolve", None),
        ("return", None),
        ("claim", None),
    ):
        answer = await bob.act(handoff_id, action, body)
        assert answer.status_code == 404, (action, answer.status_code)
    assert (await bob.act(handoff_id, "reassign", {"agent_id": 2})).status_code == 403

    # the supervisor sees and may do everything, including reassigning
    assert [h["id"] for h in (await sue.get("/console/api/queue")).json()] == [handoff_id]
    assert (await sue.act(handoff_id, "notes", {"text": "watch this one"})).status_code == 201
    moved = await sue.act(handoff_id, "reassign", {"agent_id": 2})
    assert moved.status_code == 200 and moved.json()["agent"] == "Bob"
    assert (await ana.act(handoff_id, "reply", {"text": "still me?"})).status_code == 404
    assert (await bob.act(handoff_id, "reply", {"text": "Bob here"})).status_code == 200
    assert (await sue.act(handoff_id, "reply", {"text": "Sue here"})).status_code == 200
    assert (await sue.act(handoff_id, "reassign", {"agent_id": 99})).status_code == 400
    assert (await sue.act(handoff_id, "resolve")).status_code == 200
    assert boss.is_supervisor


async def test_every_console_action_is_audited(harness: Harness) -> None:
    first = await _queued(harness, "c1")
    second = await _queued(harness, "c2")
    await harness.user("ana@example.com", "Ana")
    await harness.user("sue@example.com", "Sue", role="supervisor")
    ana = await harness.console("ana@example.com")
    sue = await harness.console("sue@example.com")
    await ana.get(f"/console/api/handoffs/{first}")
    await ana.act(first, "claim")
    await ana.act(first, "reply", {"text": "Hello, I'm Ana"})
    await ana.act(first, "notes", {"text": "VIP"})
    await ana.act(first, "resolve")
    await ana.act(second, "claim")
    await sue.act(second, "reassign", {"agent_id": 2})
    await sue.act(second, "return")
    await ana.post("/console/logout")
    await Console(httpx.AsyncClient(transport=harness.transport, base_url=ORIGIN)).login(
        "ana@example.com", "wrong password!"
    )
    rows = [(e.actor, e.action, e.target) for e in harness.audit() if e.actor != "engine"]
    assert rows == [
        ("ana@example.com", "login", "user:1"),
        ("sue@example.com", "login", "user:2"),
        ("ana@example.com", "view", f"handoff:{first}"),
        ("ana@example.com", "claim", f"handoff:{first}"),
        ("ana@example.com", "reply", f"handoff:{first}"),
        ("ana@example.com", "note", f"handoff:{first}"),
        ("ana@example.com", "resolve", f"handoff:{first}"),
        ("ana@example.com", "claim", f"handoff:{second}"),
        ("sue@example.com", "reassign", f"handoff:{second}"),
        ("sue@example.com", "return", f"handoff:{second}"),
        ("ana@example.com", "logout", "user:1"),
        ("ana@example.com", "login_failed", "user:ana@example.com"),
    ]
    reassign = harness.audit("reassign")[0]
    assert reassign.detail == {"from_agent": 1, "to_agent": 2}
    assert all(e.ip == "127.0.0.1" for e in harness.audit() if e.actor != "engine")


@pytest.mark.parametrize("path", ["/console/api/handoffs/1/reply", "/console/api/handoffs/1/notes"])
async def test_console_bodies_are_validated(harness: Harness, path: str) -> None:
    handoff_id = await _queued(harness)
    await harness.user("ana@example.com", "Ana")
    ana = await harness.console("ana@example.com")
    await ana.act(handoff_id, "claim")
    for body in ({"text": ""}, {"text": "x" * 4001}, {"txt": "hi"}, ["hi"]):
        answer = await ana.post(path, json=body)
        assert answer.status_code in (400, 422), body
    assert len(harness.gateway.appended) == 1  # only the "joined" announcement


async def test_not_yours_and_missing_get_the_same_404(harness: Harness) -> None:
    """An agent cannot tell another agent's conversation from an id that does not exist."""
    handoff_id = await _queued(harness)
    await harness.user("ana@example.com", "Ana")
    await harness.user("bob@example.com", "Bob")
    ana = await harness.console("ana@example.com")
    bob = await harness.console("bob@example.com")
    assert (await ana.act(handoff_id, "claim")).status_code == 200
    missing = handoff_id + 1000
    for method, suffix, body in (
        ("GET", "", None),
        ("GET", "/assist", None),
        ("POST", "/claim", None),
        ("POST", "/reply", {"text": "hi"}),
        ("POST", "/notes", {"text": "n"}),
        ("POST", "/resolve", None),
        ("POST", "/return", None),
    ):
        answers = []
        for target in (handoff_id, missing):
            path = f"/console/api/handoffs/{target}{suffix}"
            answer = await (bob.get(path) if method == "GET" else bob.post(path, json=body))
            answers.append((answer.status_code, answer.json()["error"].replace(str(target), "N")))
        assert answers[0] == answers[1], (suffix, answers)
        assert answers[0][0] == 404, (suffix, answers)


async def test_agents_add_notes_only_to_conversations_they_hold(harness: Harness) -> None:
    handoff_id = await _queued(harness)
    await harness.user("ana@example.com", "Ana")
    await harness.user("sue@example.com", "Sue", role="supervisor")
    ana = await harness.console("ana@example.com")
    sue = await harness.console("sue@example.com")
    waiting = await ana.act(handoff_id, "notes", {"text": "drive-by remark"})
    assert waiting.status_code == 403 and "claim it first" in waiting.json()["error"]
    assert harness.runtime.store.notes(handoff_id) == []
    assert (await sue.act(handoff_id, "notes", {"text": "supervisors may"})).status_code == 201
    assert (await ana.act(handoff_id, "claim")).status_code == 200
    assert (await ana.act(handoff_id, "notes", {"text": "mine now"})).status_code == 201
    assert [n.text for n in harness.runtime.store.notes(handoff_id)] == [
        "supervisors may",
        "mine now",
    ]


@pytest.mark.parametrize("handoff_id", [2**63, 2**63 - 1, 2**64 + 5, 10**30, -(2**63) - 1, 0])
async def test_huge_or_impossible_handoff_ids_are_404_not_500(
    harness: Harness, handoff_id: int
) -> None:
    await harness.user("sue@example.com", "Sue", role="supervisor")
    sue = await harness.console("sue@example.com")
    for method, suffix, body in (
        ("GET", "", None),
        ("GET", "/assist", None),
        ("POST", "/claim", None),
        ("POST", "/reply", {"text": "hi"}),
        ("POST", "/notes", {"text": "n"}),
        ("POST", "/resolve", None),
        ("POST", "/return", None),
        ("POST", "/reassign", {"agent_id": 1}),
    ):
        path = f"/console/api/handoffs/{handoff_id}{suffix}"
        answer = await (sue.get(path) if method == "GET" else sue.post(path, json=body))
        assert answer.status_code == 404, (suffix, answer.status_code, answer.text)
        assert "There is no handoff" in answer.json()["error"]


@pytest.mark.parametrize("agent_id", [2**63, 2**63 - 1, 10**30])
async def test_reassign_to_a_huge_agent_id_is_400_not_500(harness: Harness, agent_id: int) -> None:
    handoff_id = await _queued(harness)
    await harness.user("sue@example.com", "Sue", role="supervisor")
    sue = await harness.console("sue@example.com")
    answer = await sue.act(handoff_id, "reassign", {"agent_id": agent_id})
    assert answer.status_code == 400, answer.text
    assert f"There is no staff member {agent_id}" in answer.json()["error"]
