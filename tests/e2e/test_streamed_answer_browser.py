"""A store question in the widget: the answer grows while it is generated, then the final
message with its sources takes the growing bubble's place.

Real Rasa and action server, Debian's chromium through Playwright. The model is
the one part played by a stand-in: SmolLM2-135M's drafts fail the grounding
check, so the guard rightly shows none of them. Here the action server uses its
OpenAI-compatible backend (the way a business serves a bigger model) against a
local server (benchmarks/text_server.py) around a scripted model that writes a
grounded two-sentence answer word by word. A MutationObserver in the widget's
shadow root records what the shopper saw, in order: the streaming bubble, each
piece added to it, and the moment the final message replaced it. That the bubble
is replaced rather than followed by a second one proves that the final
message's ``metadata.stream_id`` survived Rasa's action protocol. Screenshots go to
``<artifacts>/screenshots/widget/``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from benchmarks.text_server import serve
from bot.supervisor import Supervisor
from generators.text import DEFAULT_OPTIONS, GenerationOptions, Message, TextGenerator
from tests.e2e.test_widget_browser import demo_url as demo_url  # fixture
from tests.e2e.test_widget_browser import open_chat, say
from tests.e2e.test_widget_browser import page as page  # fixture
from tests.e2e.test_widget_browser import pytestmark as widget_marks
from tests.e2e.test_widget_browser import shots as shots  # fixture

pytestmark = widget_marks

RECORD_BUBBLES = """() => {
  const log = document.querySelector("#tandem-webchat").shadowRoot.querySelector(".tw-log");
  const seen = (window.tandemSeen = []);
  const bubbleOf = (node) => node && node.closest && node.closest(".tw-bot");
  new MutationObserver((records) => {
    for (const r of records) {
      if (r.type === "attributes") {
        const was = (r.oldValue || "").split(" ").includes("tw-streaming");
        if (was && !r.target.classList.contains("tw-streaming")) seen.push({ kind: "replaced" });
        continue;
      }
      for (const node of r.addedNodes) {
        if (node.nodeType === 1 && node.classList.contains("tw-bot")) {
          const kind = node.classList.contains("tw-streaming") ? "stream" : "message";
          seen.push({ kind, text: node.querySelector(".tw-text").textContent });
        }
      }
      const bubble = bubbleOf(r.target);
      if (bubble && bubble.classList.contains("tw-streaming") && r.addedNodes.length) {
        seen.push({ kind: "delta", text: bubble.querySelector(".tw-text").textContent });
      }
    }
  }).observe(log, {
    childList: true, subtree: true, attributes: true, attributeFilter: ["class"],
    attributeOldValue: true,
  });
}"""


GROUNDED = (
    "You can return any product within 30 days of purchase, in store or online [1]. "
    "Products must be complete, with all accessories and the original packaging [1]."
)


class WordByWord(TextGenerator):
    """A model that writes ``GROUNDED`` one word every 50 ms."""

    name = "word-by-word"

    def generate(
        self, messages: Sequence[Message], options: GenerationOptions = DEFAULT_OPTIONS
    ) -> str:
        return GROUNDED

    def stream(
        self, messages: Sequence[Message], options: GenerationOptions = DEFAULT_OPTIONS
    ) -> Iterator[str]:
        for word in GROUNDED.split(" "):
            time.sleep(0.05)
            yield word + " "


@pytest.fixture()
def bigger_model(assistant: Supervisor) -> Iterator[None]:
    server = serve(WordByWord())
    actions = assistant.actions
    before = dict(actions.env)
    actions.env = {
        **before,
        "TANDEM_ANSWER_MODE": "generate",
        "TANDEM_TEXT_BACKEND": "openai",
        "TANDEM_OPENAI_BASE_URL": f"http://127.0.0.1:{server.server_address[1]}/v1",
    }
    assistant.restart(actions)
    try:
        yield
    finally:
        actions.env = before
        assistant.restart(actions)
        server.shutdown()


@pytest.mark.usefixtures("bigger_model")
def test_a_store_answer_streams_into_a_bubble_that_the_final_answer_replaces(
    page: Any, demo_url: str, shots: Path
) -> None:
    from playwright.sync_api import expect

    open_chat(page, demo_url)
    expect(page.locator(".tw-typing")).to_be_hidden()  # the greeting turn is over
    before = page.locator(".tw-bot").count()
    page.evaluate(RECORD_BUBBLES)

    say(page, "how long do I have to return something?")
    page.wait_for_function("() => window.tandemSeen.some(e => e.kind === 'delta')")
    page.screenshot(path=shots / "40-answer-drafting.png")  # usually still growing
    page.wait_for_function(
        "() => window.tandemSeen.some(e => ['replaced', 'message'].includes(e.kind))"
    )
    final = page.locator(".tw-bot").last
    expect(final.locator(".tw-text")).to_contain_text("30 days")
    expect(final.locator(".tw-text")).to_contain_text("(Source:")
    page.screenshot(path=shots / "41-streamed-answer-final.png")

    seen: list[dict[str, str]] = page.evaluate("window.tandemSeen")
    kinds = [e["kind"] for e in seen]
    assert kinds[0] == "stream", seen  # the draft came before the final message
    assert "delta" in kinds[: kinds.index("replaced")], kinds
    assert kinds.count("message") == 0, kinds  # the final took the draft's place
    drafts = [e["text"] for e in seen if e["kind"] == "delta"]
    assert drafts[-1].strip() and drafts == sorted(drafts, key=len), drafts  # it grew
    expect(page.locator(".tw-streaming")).to_have_count(0)
    expect(final).not_to_have_attribute("aria-busy", "true")
    assert page.locator(".tw-bot").count() == before + 1

    # The history has the final text once, not the draft: a reload shows the same.
    page.reload()
    expect(page.locator(".tw-bot").last.locator(".tw-text")).to_contain_text("30 days")
    assert page.locator(".tw-bot").count() == before + 1
    page.screenshot(path=shots / "42-streamed-answer-after-reload.png")
