"""The steps of docs/tutorial.md, as tests/e2e/test_scaffold.py takes them.

Each :class:`Step` is named after a ``## N. Title`` heading of the tutorial and
holds the commands it runs and the text it adds to files; the unit test
tests/unit/test_tutorial.py checks that the tutorial shows exactly these
commands and blocks under that heading, so the doc and the test cannot drift.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

TUTORIAL = Path(__file__).resolve().parents[2] / "docs" / "tutorial.md"
PROJECT = "my-shop"
REST_PORT = "5005"


@dataclass(frozen=True)
class Edit:
    """Add ``text`` to ``file`` (relative to the project): after the line ``after``, or
    at the end; a file that does not exist yet is created with it."""

    file: str
    text: str
    after: str | None = None

    def apply(self, project: Path) -> None:
        path = project / self.file
        if not path.exists():
            path.write_text(self.text, encoding="utf-8")
            return
        content = path.read_text(encoding="utf-8")
        if self.after is None:
            path.write_text(content.rstrip("\n") + "\n" + self.text, encoding="utf-8")
            return
        lines = content.splitlines(keepends=True)
        at = lines.index(self.after + "\n") + 1
        path.write_text("".join([*lines[:at], self.text, *lines[at:]]), encoding="utf-8")


@dataclass(frozen=True)
class Step:
    title: str
    commands: tuple[str, ...] = ()
    edits: tuple[Edit, ...] = ()
    replies: tuple[str, ...] = ()
    """what the assistant's answer to the step's curl must contain"""


NLU_GIFT_WRAP = """
  - intent: ask_gift_wrap
    examples: |
      - do you gift wrap?
      - can you wrap my present?
      - is gift wrapping available?
      - can I add a gift message?
      - how much does gift wrapping cost?
      - could you wrap it as a gift?
"""

DOMAIN_GIFT_WRAP = """  - ask_gift_wrap
"""

RULE_GIFT_WRAP = """
  - rule: gift wrapping questions get a grounded answer
    steps:
      - intent: ask_gift_wrap
      - action: action_answer_question
"""

KNOWLEDGE_GIFT_WRAP = """# Gift wrapping

## Gift wrapping
We gift wrap any item for 3 pounds in recycled paper with a ribbon.
Add a gift message of up to 200 characters at checkout and we print it on a card.
"""

NLU_TOPICS = """
  - intent: ask_topics
    examples: |
      - what can you help with?
      - what can I ask you?
      - what do you know about?
      - which topics do you cover?
      - what can you do?
      - help
"""

DOMAIN_TOPICS_INTENT = """  - ask_topics
"""

DOMAIN_TOPICS_ACTION = """  - action_list_topics
"""

RULE_TOPICS = """
  - rule: list what the knowledge folder covers
    steps:
      - intent: ask_topics
      - action: action_list_topics
"""

ACTION_TOPICS = '''

class ActionListTopics(Action):
    """Names the documents in data/knowledge: what the assistant can answer."""

    def name(self) -> str:
        return "action_list_topics"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        folder = get_runtime().assistant.knowledge_dir  # from assistant.yml
        titles = sorted(
            doc.read_text(encoding="utf-8").splitlines()[0].removeprefix("# ")
            for doc in folder.glob("*.md")
        )
        dispatcher.utter_message(text="I can answer questions about: " + ", ".join(titles) + ".")
        return []
'''

CURL_DELIVERY = (
    f"curl -s localhost:{REST_PORT}/webhooks/rest/webhook "
    """-d '{"sender": "me", "message": "how long does delivery take?"}'"""
)
CURL_GIFT_WRAP = (
    f"curl -s localhost:{REST_PORT}/webhooks/rest/webhook "
    """-d '{"sender": "me", "message": "do you gift wrap?"}'"""
)
CURL_TOPICS = (
    f"curl -s localhost:{REST_PORT}/webhooks/rest/webhook "
    """-d '{"sender": "me", "message": "what can you help with?"}'"""
)

STEPS = (
    Step(
        "Install the kit",
        commands=(
            "python3.11 -m pip wheel --no-deps -w dist .",
            "python3.10 -m venv ~/tandem-venvs/engine",
            "python3.11 -m venv ~/tandem-venvs/actions",
        ),
    ),
    Step(
        "Create a project",
        commands=(f"tandem new {PROJECT} --name Ada --business Acme", f"cd {PROJECT}"),
    ),
    Step("Train", commands=("tandem train",)),
    Step(
        "Talk to it over REST",
        commands=("tandem run", CURL_DELIVERY),
        replies=("3 to 5 working days", "(Source: Delivery: Delivery times)"),
    ),
    Step(
        "Teach it a new question",
        edits=(
            Edit("data/nlu.yml", NLU_GIFT_WRAP),
            Edit("domain.yml", DOMAIN_GIFT_WRAP, after="intents:"),
            Edit("data/rules.yml", RULE_GIFT_WRAP),
            Edit("data/knowledge/gift-wrapping.md", KNOWLEDGE_GIFT_WRAP),
        ),
        commands=("tandem run", CURL_GIFT_WRAP),
        replies=("3 pounds", "(Source: Gift wrapping: Gift wrapping)"),
    ),
    Step(
        "Add a custom action",
        edits=(
            Edit("data/nlu.yml", NLU_TOPICS),
            Edit("domain.yml", DOMAIN_TOPICS_INTENT, after="intents:"),
            Edit("domain.yml", DOMAIN_TOPICS_ACTION, after="actions:"),
            Edit("data/rules.yml", RULE_TOPICS),
            Edit("actions/actions.py", ACTION_TOPICS),
        ),
        commands=("tandem run", CURL_TOPICS),
        replies=("I can answer questions about: Delivery, Gift wrapping, Opening hours, Returns.",),
    ),
    Step("Run its tests", commands=("make test",)),
)
