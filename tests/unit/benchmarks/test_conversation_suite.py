"""Conversation files: schema errors that name the place, the suite's own shape, the
runner against a stand-in Rasa, and the numbers of the results contract."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from benchmarks.convsuite import report
from benchmarks.convsuite.judge import Product
from benchmarks.convsuite.runner import RestClient, play_all
from benchmarks.convsuite.schema import (
    CATEGORIES,
    SUITE_DIR,
    SuiteError,
    load_file,
    load_suite,
)

ONE_OK = "category: silence\nconversations:\n  - {id: a, user: ok, expect: {contains_any: [hi]}}\n"


def write(tmp_path: Path, body: str, name: str = "c.yml") -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(body, encoding="utf-8")
    return path


def test_a_file_loads_with_one_turn_shorthand_and_turns(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
category: knowledge
conversations:
  - id: one
    user: how long do returns take
    expect: {fact: ["30 days"]}
  - id: two
    category: smalltalk
    turns:
      - user: hi
        expect: {contains_any: [volt]}
      - user: "?"
        digression: true
        expect: {contains_any: [help]}
""",
    )
    one, two = load_file(path, root=tmp_path)
    assert one.category == "knowledge" and one.turns[0].expect.fact == ("30 days",)
    assert two.category == "smalltalk" and len(two.turns) == 2 and two.turns[1].digression
    assert not one.heldout and one.source == "c.yml"


def test_files_under_heldout_are_the_heldout_split(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        ONE_OK,
        "heldout/x.yml",
    )
    [conversation] = load_file(path, root=tmp_path)
    assert conversation.heldout


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("conversations: [", "not valid YAML"),
        ("category: knowledge\n", "'conversations' list"),
        ("category: knowledge\nextra: 1\nconversations: []\n", "unknown top-level"),
        ("conversations:\n  - {id: a, user: hi, expect: {contains_any: [x]}}\n", "category None"),
        (
            "category: nope\nconversations:\n  - {id: a, user: hi, expect: {contains_any: [x]}}\n",
            "category 'nope'",
        ),
        ("category: silence\nconversations:\n  - {id: A B, user: hi}\n", "'id' must be"),
        ("category: silence\nconversations:\n  - {id: a, user: hi}\n", "a: turn 1: 'expect'"),
        (
            ONE_OK.replace("user: ok", "user: 500"),
            "quote them",
        ),
        (
            ONE_OK.replace("user: ok", "user: yes"),
            "quote them",
        ),
        ("category: silence\nconversations:\n  - {id: a, turns: []}\n", "non-empty list"),
        (
            "category: silence\nconversations:\n"
            "  - {id: a, user: hi, turns: [], expect: {contains_any: [x]}}\n",
            "either 'turns'",
        ),
        (
            "category: silence\nconversations:\n"
            "  - {id: a, turns: [{user: hi, expect: {contains_any: [x]}, note: 1}]}\n",
            "unknown turn key",
        ),
    ],
)
def test_malformed_files_name_file_conversation_and_turn(
    tmp_path: Path, body: str, message: str
) -> None:
    with pytest.raises(SuiteError, match=message) as error:
        load_file(write(tmp_path, body), root=tmp_path)
    assert str(error.value).startswith("c.yml")


def test_duplicate_ids_across_files_are_rejected(tmp_path: Path) -> None:
    body = "category: silence\nconversations:\n  - {id: a, user: ok, expect: {contains_any: [x]}}\n"
    write(tmp_path, body, "one.yml")
    write(tmp_path, body, "two.yml")
    with pytest.raises(SuiteError, match=r"already used in one\.yml"):
        load_suite(tmp_path)


def test_the_suite_has_its_promised_shape() -> None:
    """At least 320 conversations, a quarter held out, 110 knowledge questions, every category."""
    suite = load_suite()
    heldout = [c for c in suite if c.heldout]
    assert len(suite) >= 320
    assert len(heldout) >= 0.25 * len(suite)
    knowledge = [t for c in suite if c.category == "knowledge" for t in c.turns if t.expect.fact]
    assert len(knowledge) >= 110
    assert {c.category for c in suite} == set(CATEGORIES)
    assert {c.category for c in heldout} == set(CATEGORIES)
    assert (SUITE_DIR / "heldout" / "README.md").is_file()


# --- the runner against a stand-in Rasa ------------------------------------------


class FakeRasa:
    """Answers the REST webhook from a script and serves a tracker per sender."""

    def __init__(self, replies: dict[str, list[dict[str, Any]]]) -> None:
        self.replies = replies
        self.trackers: dict[str, dict[str, Any]] = {}

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/webhooks/rest/webhook":
            body = json.loads(request.content)
            events = self.trackers.setdefault(body["sender"], {"events": []})["events"]
            events += [{"event": "user", "text": body["message"]}]
            events += [{"event": "action", "name": "action_answer_question"}]
            return httpx.Response(200, json=self.replies.get(body["message"], []))
        assert request.headers["Authorization"] == "Bearer secret"
        sender = request.url.path.split("/")[2].removeprefix("rest:")
        return httpx.Response(200, json=self.trackers[sender])


def test_runner_plays_each_conversation_with_its_own_sender(tmp_path: Path) -> None:
    write(
        tmp_path,
        """
category: knowledge
conversations:
  - {id: a, user: "returns?", expect: {fact: ["30 days"]}}
  - {id: b, user: "delivery?", expect: {fact: ["£4.99"]}}
  - id: c
    category: silence
    turns:
      - {user: ok, expect: {contains_any: [help]}}
      - {user: "?", digression: true, expect: {contains_any: [help]}}
""",
    )
    rasa = FakeRasa(
        {
            "returns?": [{"text": "You have 30 days."}],
            "delivery?": [{"text": "Delivery is free."}],
            "ok": [{"text": "How can I help?"}],
        }
    )
    client = RestClient("http://rasa", token="secret", transport=httpx.MockTransport(rasa))
    results = play_all(load_suite(tmp_path), client, (Product("x", "X", "y", 1.0),))
    assert len(rasa.trackers) == 3
    contract = report.metrics(results)
    assert contract["turns"] == 4 and contract["helpful_turns"] == 2
    assert contract["helpful_rate"] == 0.5
    assert contract["answer_accuracy"] == 0.5 and contract["answer_questions"] == 2
    assert contract["silent_turns"] == 1
    assert contract["form_digressions"] == 1 and contract["form_digression_rate"] == 0.0
    assert contract["conversation_success_rate"] == round(1 / 3, 4)
    assert contract["categories"]["knowledge"]["helpful_rate"] == 0.5
    assert contract["latency"]["knowledge"]["n"] == 4
    assert contract["helpful_rate_heldout"] is None
    failures = report.failures(results)
    assert [(f["id"], f["turn"]) for f in failures] == [("b", 1), ("c", 2)]


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert report.percentile(values, 50) == 50.0
    assert report.percentile(values, 95) == 95.0
    assert report.percentile([7.0], 95) == 7.0


def test_report_writes_json_markdown_and_plot(tmp_path: Path) -> None:
    rasa = FakeRasa({"ok": [{"text": "Hi! How can I help?"}]})
    write(
        tmp_path / "suite",
        ONE_OK,
        "s.yml",
    )
    client = RestClient("http://rasa", token="secret", transport=httpx.MockTransport(rasa))
    contract = report.metrics(play_all(load_suite(tmp_path / "suite"), client, ()))
    written = report.write(contract, tmp_path / "out")
    assert json.loads(written[0].read_text())["helpful_rate"] == 1.0
    assert "| silence | 1 | 1 | 100.0 %" in written[1].read_text()


def test_while_a_person_has_it_the_bots_late_words_are_the_reply(tmp_path: Path) -> None:
    """A waiting customer cancels over REST: the handoff service resumes the bot out
    of band, so the REST call returns nothing and the runner reads the tracker."""
    write(
        tmp_path,
        """
category: handoff
conversations:
  - id: cancel
    turns:
      - {user: "a person please", expect: {contains_any: [colleague]}}
      - {user: "never mind", expect: {contains_any: [cancelled]}}
""",
    )

    class PausedRasa(FakeRasa):
        polls = 0

        def __call__(self, request: httpx.Request) -> httpx.Response:
            response = super().__call__(request)
            if request.url.path == "/webhooks/rest/webhook":
                return response
            tracker = self.trackers[request.url.path.split("/")[2].removeprefix("rest:")]
            user_turns = sum(e["event"] == "user" for e in tracker["events"])
            tracker["paused"] = user_turns == 1
            if user_turns == 2:
                self.polls += 1
                if self.polls == 3:  # the service's words arrive a little later
                    tracker["events"].append({"event": "bot", "text": "OK, I've cancelled it."})
            return httpx.Response(200, json=tracker)

    rasa = PausedRasa({"a person please": [{"text": "A colleague will join."}]})
    client = RestClient("http://rasa", token="secret", transport=httpx.MockTransport(rasa))
    [result] = play_all(load_suite(tmp_path), client, ())
    assert [t.verdict.helpful for t in result.turns] == [True, True]
    assert "cancelled" in result.turns[1].reply
