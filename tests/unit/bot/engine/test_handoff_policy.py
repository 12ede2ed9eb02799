"""HandoffPolicy: when it hands over, why, when it stays silent, and inside a trained model."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from rasa.core.policies.ensemble import DefaultPolicyPredictionEnsemble
from rasa.core.policies.policy import PolicyPrediction
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActionExecutionRejected,
    ActiveLoop,
    ConversationPaused,
    ConversationResumed,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.exceptions import InvalidConfigException

from bot.engine.handoff_policy import HandoffPolicy

pytestmark = pytest.mark.engine

DOMAIN_YAML = """
version: "3.1"
intents: [greet, inform, complaint, order]
slots:
  handoff_reason:
    type: any
    influence_conversation: false
    mappings: [{type: custom}]
  order_number:
    type: text
    influence_conversation: false
    mappings:
      - type: from_text
        conditions: [{active_loop: order_form, requested_slot: order_number}]
forms:
  order_form:
    required_slots: [order_number]
actions: [action_handoff]
responses:
  utter_greet: [{text: "hi"}]
"""
DOMAIN = Domain.from_yaml(DOMAIN_YAML)
FRUSTRATED = {"score": 0.72, "frustrated": True, "cues": ["anger:ridiculous", "punctuation:!!!"]}
CALM = {"score": 0.1, "frustrated": False, "cues": ["complaint:complaint"]}


def user(intent: str | None = "inform", confidence: float = 0.9, **extra: Any) -> UserUttered:
    intent_data = {"name": intent, "confidence": confidence}
    return UserUttered("some text", intent_data, [], {"intent": intent_data, **extra})


def tracker(*events: Any, domain: Domain = DOMAIN) -> DialogueStateTracker:
    return DialogueStateTracker.from_events(
        "customer", [ActionExecuted(ACTION_LISTEN_NAME), *events], slots=domain.slots
    )


def make_policy(tmp_path: Path, **config: Any) -> HandoffPolicy:
    return HandoffPolicy.create(
        {**HandoffPolicy.get_default_config(), **config},
        LocalModelStorage.create(tmp_path),
        Resource("handoff"),
        ExecutionContext(GraphSchema({}), "test"),
    )


def handoff_index(domain: Domain = DOMAIN) -> int:
    return domain.index_for_action("action_handoff")


def assert_hands_over(prediction: PolicyPrediction, domain: Domain = DOMAIN) -> dict[str, Any]:
    expected = [0.0] * domain.num_actions
    expected[handoff_index(domain)] = 1.0
    assert prediction.probabilities == expected
    assert prediction.policy_name == "HandoffPolicy"
    assert prediction.is_no_user_prediction
    return prediction.action_metadata["handoff_reason"]


def assert_abstains(prediction: PolicyPrediction) -> None:
    assert prediction.max_confidence == 0.0
    assert not prediction.is_no_user_prediction
    assert prediction.optional_events == [] and prediction.action_metadata is None


def test_complaint_intent_hands_over_and_sets_the_reason_slot(tmp_path: Path) -> None:
    prediction = make_policy(tmp_path).predict_action_probabilities(
        tracker(user("complaint", 0.93, frustration=CALM)), DOMAIN
    )
    reason = assert_hands_over(prediction)
    assert reason == {
        "reason": "complaint", "trigger": "intent", "intent": "complaint", "confidence": 0.93
    }  # fmt: skip
    assert prediction.optional_events == [SlotSet("handoff_reason", reason)]
    assert prediction.policy_priority == 5  # above RulePolicy's 4


def test_frustration_over_the_threshold_hands_over_with_its_cues(tmp_path: Path) -> None:
    prediction = make_policy(tmp_path).predict_action_probabilities(
        tracker(user(frustration=FRUSTRATED)), DOMAIN
    )
    assert assert_hands_over(prediction) == {
        "reason": "frustration",
        "trigger": "frustration",
        "score": 0.72,
        "threshold": 0.4,
        "cues": ["anger:ridiculous", "punctuation:!!!"],
        "intent": "inform",
    }


@pytest.mark.parametrize(
    "extra",
    [
        {},  # no FrustrationDetector in the pipeline
        {"frustration": CALM},
        {"frustration": "very"},
        {"frustration": {"score": "high"}},
        {"frustration": {"score": True}},
    ],
)
def test_calm_or_unscored_messages_leave_the_decision_to_others(
    tmp_path: Path, extra: dict[str, Any]
) -> None:
    prediction = make_policy(tmp_path).predict_action_probabilities(tracker(user(**extra)), DOMAIN)
    assert_abstains(prediction)


def test_intent_wins_over_frustration(tmp_path: Path) -> None:
    prediction = make_policy(tmp_path).predict_action_probabilities(
        tracker(user("complaint", frustration=FRUSTRATED)), DOMAIN
    )
    assert assert_hands_over(prediction)["trigger"] == "intent"


def test_null_threshold_switches_frustration_off(tmp_path: Path) -> None:
    policy = make_policy(tmp_path, frustration_threshold=None)
    frantic = {**FRUSTRATED, "score": 0.99}
    assert_abstains(policy.predict_action_probabilities(tracker(user(frustration=frantic)), DOMAIN))


def test_low_confidence_is_off_by_default_and_a_trigger_when_set(tmp_path: Path) -> None:
    unsure = tracker(user("inform", 0.12))
    assert_abstains(make_policy(tmp_path).predict_action_probabilities(unsure, DOMAIN))
    policy = make_policy(tmp_path, low_confidence_threshold=0.3)
    reason = assert_hands_over(policy.predict_action_probabilities(unsure, DOMAIN))
    assert reason == {"reason": "low_confidence", "trigger": "low_confidence",
                      "intent": "inform", "confidence": 0.12, "threshold": 0.3}  # fmt: skip
    assert_abstains(policy.predict_action_probabilities(tracker(user("inform", 0.8)), DOMAIN))
    assert_abstains(policy.predict_action_probabilities(tracker(user(None, 0.0)), DOMAIN))


def test_fires_once_per_message(tmp_path: Path) -> None:
    policy = make_policy(tmp_path)
    message = user(frustration=FRUSTRATED)
    # slot events from action_extract_slots after the message do not count as handling it
    assert_hands_over(
        policy.predict_action_probabilities(tracker(message, SlotSet("order_number", "1")), DOMAIN)
    )
    done = tracker(message, ActionExecuted("action_handoff", policy="HandoffPolicy"))
    after = policy.predict_action_probabilities(done, DOMAIN)
    assert after.max_confidence_index == DOMAIN.index_for_action(ACTION_LISTEN_NAME)
    assert after.max_confidence == 1.0 and after.optional_events == []
    rejected = tracker(message, ActionExecutionRejected("action_handoff", "HandoffPolicy"))
    assert_abstains(policy.predict_action_probabilities(rejected, DOMAIN))
    other = tracker(message, ActionExecuted("utter_greet"))
    assert_abstains(policy.predict_action_probabilities(other, DOMAIN))


def test_silent_while_the_conversation_is_paused(tmp_path: Path) -> None:
    policy = make_policy(tmp_path)
    paused = tracker(ConversationPaused(), user("complaint"))
    assert_abstains(policy.predict_action_probabilities(paused, DOMAIN))
    resumed = tracker(ConversationPaused(), ConversationResumed(), user("complaint"))
    assert_hands_over(policy.predict_action_probabilities(resumed, DOMAIN))


def test_after_the_agent_hands_back_the_next_message_is_judged_afresh(tmp_path: Path) -> None:
    policy = make_policy(tmp_path)
    handed_over = [user("complaint"), ActionExecuted("action_handoff"), ConversationPaused(),
                   user("inform"), ConversationResumed()]  # fmt: skip
    # no action_listen is logged while paused: the new message follows the handoff
    assert_hands_over(
        policy.predict_action_probabilities(
            tracker(*handed_over, user(frustration=FRUSTRATED)), DOMAIN
        )
    )
    calm = policy.predict_action_probabilities(
        tracker(*handed_over, user(frustration=CALM)), DOMAIN
    )
    assert_abstains(calm)


def test_reason_slot_follows_the_slot_type(tmp_path: Path) -> None:
    text_slot = Domain.from_yaml(
        DOMAIN_YAML.replace("type: any\n    influence", "type: text\n    influence")
    )
    prediction = make_policy(tmp_path).predict_action_probabilities(
        tracker(user(frustration=FRUSTRATED), domain=text_slot), text_slot
    )
    assert prediction.optional_events == [SlotSet("handoff_reason", "frustration")]
    prediction = make_policy(tmp_path).predict_action_probabilities(
        tracker(user("complaint"), domain=text_slot), text_slot
    )
    assert prediction.optional_events == [SlotSet("handoff_reason", "complaint")]

    no_slot = Domain.from_yaml('version: "3.1"\nintents: [complaint]\nactions: [action_handoff]\n')
    prediction = make_policy(tmp_path).predict_action_probabilities(
        tracker(user("complaint"), domain=no_slot), no_slot
    )
    assert prediction.optional_events == []
    assert assert_hands_over(prediction, no_slot)["trigger"] == "intent"


def test_without_the_action_it_warns_at_training_and_never_fires(tmp_path: Path) -> None:
    domain = Domain.from_yaml('version: "3.1"\nintents: [complaint]\n')
    policy = make_policy(tmp_path)
    with pytest.warns(UserWarning, match="the domain has no action 'action_handoff'"):
        policy.train([], domain)
    assert_abstains(policy.predict_action_probabilities(tracker(user("complaint")), domain))


def test_unknown_intents_are_reported_at_training(tmp_path: Path) -> None:
    policy = make_policy(tmp_path, intents=["complaint", "credit_declined"])
    with pytest.warns(UserWarning, match=r"\['credit_declined'\] are not in the domain"):
        policy.train([], DOMAIN)


def test_persist_and_load_round_trip(tmp_path: Path) -> None:
    storage = LocalModelStorage.create(tmp_path)
    resource, context = Resource("handoff"), ExecutionContext(GraphSchema({}), "test")
    config = {**HandoffPolicy.get_default_config(), "intents": ["complaint", "order"]}
    HandoffPolicy.create(config, storage, resource, context).train([], DOMAIN)

    loaded = HandoffPolicy.load(config, storage, resource, context)
    assert loaded.enabled and loaded.intents == {"complaint", "order"}
    with storage.read_from(resource) as path:
        assert json.loads((path / "handoff_policy.json").read_text())["enabled"] is True
    assert_hands_over(loaded.predict_action_probabilities(tracker(user("order")), DOMAIN))

    bare = Domain.from_yaml('version: "3.1"\nintents: [complaint]\n')
    other = Resource("handoff_bare")
    with pytest.warns(UserWarning):
        HandoffPolicy.create(config, storage, other, context).train([], bare)
    assert not HandoffPolicy.load(config, storage, other, context).enabled


def test_load_without_state_still_works(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    storage = LocalModelStorage.create(tmp_path)
    context = ExecutionContext(GraphSchema({}), "test")
    policy = HandoffPolicy.load(
        HandoffPolicy.get_default_config(), storage, Resource("never_trained"), context
    )
    assert policy.enabled and "Retrain" in caplog.text


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"handoff_action": ""}, "must name an action"),
        ({"intents": "complaint"}, "list of intent names"),
        ({"frustration_threshold": 2}, "between 0 and 1, or null"),
        ({"low_confidence_threshold": True}, "between 0 and 1, or null"),
    ],
)
def test_config_errors_say_how_to_fix(tmp_path: Path, config: dict, message: str) -> None:
    with pytest.raises(InvalidConfigException, match=message):
        make_policy(tmp_path, **config)


def test_beats_an_active_form_in_the_ensemble(tmp_path: Path) -> None:
    """Inside a form RulePolicy predicts the form as a "no user" prediction, which
    overrides every prediction from user input; the handoff must still win."""
    in_form = tracker(ActiveLoop("order_form"), ActionExecuted("order_form"),
                      ActionExecuted(ACTION_LISTEN_NAME), user(frustration=FRUSTRATED))  # fmt: skip
    form_probs = [0.0] * DOMAIN.num_actions
    form_probs[DOMAIN.index_for_action("order_form")] = 1.0
    rule = PolicyPrediction(form_probs, "RulePolicy", 4, is_no_user_prediction=True)
    ours = make_policy(tmp_path).predict_action_probabilities(in_form, DOMAIN)

    best = DefaultPolicyPredictionEnsemble().combine_predictions([rule, ours], in_form, DOMAIN)
    assert best.max_confidence_index == handoff_index()
    reason = ours.action_metadata["handoff_reason"]
    assert reason["active_loop"] == "order_form"
    # a person takes over, so the form ends with the handoff
    assert best.events[:3] == [
        ActiveLoop(None),
        SlotSet("requested_slot", None),
        SlotSet("handoff_reason", reason),
    ]
    kept = make_policy(tmp_path, end_active_loop=False).predict_action_probabilities(
        in_form, DOMAIN
    )
    assert kept.optional_events == [SlotSet("handoff_reason", reason)]

    # right after the handoff the bot listens, even if the form is still active
    handed_over = tracker(ActiveLoop("order_form"), ActionExecuted("order_form"),
                          ActionExecuted(ACTION_LISTEN_NAME), user(frustration=FRUSTRATED),
                          ActionExecuted("action_handoff"))  # fmt: skip
    listen = make_policy(tmp_path).predict_action_probabilities(handed_over, DOMAIN)
    best = DefaultPolicyPredictionEnsemble().combine_predictions(
        [rule, listen], handed_over, DOMAIN
    )
    assert best.max_confidence_index == DOMAIN.index_for_action(ACTION_LISTEN_NAME)
    assert best.policy_name == "HandoffPolicy"

    calm = tracker(ActiveLoop("order_form"), ActionExecuted("order_form"),
                   ActionExecuted(ACTION_LISTEN_NAME), user(frustration=CALM))  # fmt: skip
    silent = make_policy(tmp_path).predict_action_probabilities(calm, DOMAIN)
    best = DefaultPolicyPredictionEnsemble().combine_predictions([rule, silent], calm, DOMAIN)
    assert best.policy_name == "RulePolicy"


# A trained model ----------------------------------------------------------------

PROJECT_CONFIG = """recipe: default.v1
language: en
assistant_id: handoff-test
pipeline:
  - name: WhitespaceTokenizer
  - name: CountVectorsFeaturizer
  - name: LogisticRegressionClassifier
  - name: bot.nlu.frustration.FrustrationDetector
policies:
  - name: RulePolicy
  - name: bot.engine.handoff_policy.HandoffPolicy
    handoff_action: utter_handoff
"""
PROJECT_NLU = """version: "3.1"
nlu:
  - intent: greet
    examples: |
      - hi
      - hello
      - good morning
      - hey there
  - intent: order
    examples: |
      - I want to place an order
      - I'd like to order something
      - can I order a phone
      - place an order please
  - intent: complaint
    examples: |
      - I want to make a complaint
      - I'd like to file a complaint
      - how do I complain
      - I wish to lodge a complaint
  - intent: inform
    examples: |
      - it is 12345
      - the number is 998877
      - my order number is 5555
      - 4242
"""
PROJECT_RULES = """version: "3.1"
rules:
  - rule: greet
    steps: [{intent: greet}, {action: utter_greet}]
  - rule: start the order form
    steps: [{intent: order}, {action: order_form}, {active_loop: order_form}]
  - rule: finish the order form
    condition: [{active_loop: order_form}]
    steps:
      - action: order_form
      - active_loop: null
      - slot_was_set: [{requested_slot: null}]
      - action: utter_order_done
"""
PROJECT_DOMAIN = """version: "3.1"
intents: [greet, order, complaint, inform]
slots:
  handoff_reason: {type: any, influence_conversation: false, mappings: [{type: custom}]}
  order_number:
    type: text
    influence_conversation: false
    mappings:
      - type: from_text
        conditions: [{active_loop: order_form, requested_slot: order_number}]
forms:
  order_form: {required_slots: [order_number]}
responses:
  utter_greet: [{text: "Hello!"}]
  utter_handoff: [{text: "I'm getting a colleague for you."}]
  utter_ask_order_number: [{text: "What is your order number?"}]
  utter_order_done: [{text: "Thanks, noted."}]
"""


@pytest.mark.slow
def test_trained_model_hands_over_a_frustrated_customer_inside_a_form(tmp_path: Path) -> None:
    from rasa.core.agent import Agent
    from rasa.model_training import train

    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "nlu.yml").write_text(PROJECT_NLU)
    (tmp_path / "data" / "rules.yml").write_text(PROJECT_RULES)
    (tmp_path / "config.yml").write_text(PROJECT_CONFIG)
    (tmp_path / "domain.yml").write_text(PROJECT_DOMAIN)
    result = train(
        domain=str(tmp_path / "domain.yml"),
        config=str(tmp_path / "config.yml"),
        training_files=[str(tmp_path / "data")],
        output=str(tmp_path / "models"),
        fixed_model_name="handoff",
    )
    assert result.code == 0, "rasa train failed"
    agent = Agent.load(result.model)

    async def conversation() -> tuple[list[str], DialogueStateTracker]:
        replies = []
        for text in [
            "hello",
            "I want to place an order",
            "This is RIDICULOUS, third time I ask!!!",
        ]:
            replies += [r["text"] for r in await agent.handle_text(text, sender_id="ana")]
        return replies, await agent.tracker_store.retrieve("ana")

    replies, state = asyncio.run(conversation())

    assert replies == ["Hello!", "What is your order number?", "I'm getting a colleague for you."]
    frustration = state.latest_message.parse_data["frustration"]
    assert frustration["frustrated"] and "anger:ridiculous" in frustration["cues"]
    handoffs = [
        e
        for e in state.events
        if isinstance(e, ActionExecuted) and e.action_name == "utter_handoff"
    ]
    assert len(handoffs) == 1 and handoffs[0].policy == "HandoffPolicy"
    reason = handoffs[0].metadata["handoff_reason"]
    assert reason["trigger"] == "frustration" and reason["cues"] == frustration["cues"]
    assert state.get_slot("handoff_reason") == reason
    assert reason["active_loop"] == "order_form" and state.active_loop_name is None
    # then the bot waits, rather than RulePolicy's fallback undoing the message
    assert state.latest_action_name == ACTION_LISTEN_NAME
    assert state.events[-1].policy == "HandoffPolicy"
    # the calm messages of the same conversation were scored too, and did not trigger
    greeting = next(e for e in state.events if isinstance(e, UserUttered))
    assert greeting.parse_data["frustration"]["frustrated"] is False


def test_a_message_that_is_only_a_value_is_an_answer_not_a_request(tmp_path: Path) -> None:
    """ "someone.else@example.com" for the order check's e-mail question read as
    ask_human; an e-mail address, phone number or amount alone is an answer."""
    email = "someone.else@example.com"
    intent_data = {"name": "ask_human", "confidence": 0.21}
    entities = [{"entity": "email", "start": 0, "end": len(email), "value": email}]
    only_value = UserUttered(email, intent_data, entities, {"intent": intent_data})
    assert_abstains(
        make_policy(tmp_path, intents=["ask_human"]).predict_action_probabilities(
            tracker(only_value), DOMAIN
        )
    )
    text = f"get me someone else, my email is {email}"
    with_words = UserUttered(
        text,
        intent_data,
        [{**entities[0], "start": text.index(email), "end": len(text)}],
        {"intent": intent_data},
    )
    assert_hands_over(
        make_policy(tmp_path, intents=["ask_human"]).predict_action_probabilities(
            tracker(with_words), DOMAIN
        )
    )
