"""Choosing the fallback threshold from held-out predictions."""

from __future__ import annotations

import numpy as np
import pytest

from bot.nlu.calibration import choose_threshold, oos_metrics
from bot.nlu.errors import CalibrationError


def test_without_oos_examples_keeps_the_requested_share_of_correct_answers() -> None:
    confidence = np.linspace(0.01, 1.0, 100)
    correct = np.ones(100, dtype=bool)

    threshold = choose_threshold(confidence, correct, max_inscope_loss=0.1)

    assert np.mean(confidence >= threshold) == pytest.approx(0.9, abs=0.011)


def test_with_oos_examples_separates_the_two_groups() -> None:
    rng = np.random.default_rng(0)
    inscope = rng.uniform(0.6, 1.0, 200)
    oos = rng.uniform(0.1, 0.5, 50)

    threshold = choose_threshold(inscope, np.ones(200, dtype=bool), oos)

    assert 0.5 < threshold < 0.6
    acc, recall = oos_metrics(
        np.array(["a"] * 200), np.array(["a"] * 200), inscope, np.array(["a"] * 50), oos, threshold
    )
    assert (acc, recall) == (1.0, 1.0)


def test_predicted_out_of_scope_counts_as_recalled_and_not_as_answered() -> None:
    acc, recall = oos_metrics(
        np.array(["a", "out_of_scope"]), np.array(["a", "a"]), np.array([0.9, 0.9]),
        np.array(["out_of_scope", "b"]), np.array([0.95, 0.95]), 0.5,
    )  # fmt: skip
    assert (acc, recall) == (0.5, 0.5)


def test_unusable_input_raises_with_a_way_out() -> None:
    with pytest.raises(CalibrationError, match="fallback_threshold"):
        choose_threshold(np.array([0.5, 0.6]), np.array([False, False]))
    with pytest.raises(CalibrationError, match="fallback_threshold"):
        choose_threshold(np.array([]), np.array([], dtype=bool))


def test_inscope_target_gives_the_highest_threshold_that_keeps_it() -> None:
    from bot.nlu.calibration import threshold_for_inscope_accuracy

    conf = np.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.95, 0.35])
    correct = np.array([True] * 8 + [False, False])
    # 8 of 10 right with no fallback; keeping 70 % means 7 right answers kept.
    threshold = threshold_for_inscope_accuracy(conf, correct, 0.7)
    assert threshold == 0.3
    assert np.mean((conf >= threshold) & correct) >= 0.7
    assert np.mean((conf >= np.nextafter(threshold, 1.0)) & correct) < 0.7
    # Out of reach even with no fallback: answer everything.
    assert threshold_for_inscope_accuracy(conf, correct, 0.9) == 0.0


def test_inscope_target_rejects_bad_input() -> None:
    from bot.nlu.calibration import threshold_for_inscope_accuracy
    from bot.nlu.errors import CalibrationError

    with pytest.raises(CalibrationError, match="one confidence"):
        threshold_for_inscope_accuracy(np.array([]), np.array([], dtype=bool), 0.95)
    with pytest.raises(CalibrationError, match="target"):
        threshold_for_inscope_accuracy(np.array([0.5]), np.array([True]), 1.5)


def test_wilson_lower_bound_matches_the_textbook_interval() -> None:
    from bot.nlu.calibration import wilson_lower_bound
    from bot.nlu.errors import CalibrationError

    # 50 of 100: the 95 % Wilson interval is [0.4038, 0.5962].
    assert wilson_lower_bound(50, 100) == pytest.approx(0.4038, abs=1e-4)
    assert wilson_lower_bound(0, 10) == pytest.approx(0.0, abs=1e-12)
    assert 0.0 < wilson_lower_bound(10, 10) < 1.0
    # More evidence, tighter bound; more confidence, looser bound.
    assert wilson_lower_bound(950, 1000) > wilson_lower_bound(95, 100)
    assert wilson_lower_bound(95, 100, 0.99) < wilson_lower_bound(95, 100, 0.9)
    with pytest.raises(CalibrationError, match="at least one"):
        wilson_lower_bound(0, 0)
    with pytest.raises(CalibrationError, match="level"):
        wilson_lower_bound(1, 2, 1.0)


def test_inscope_target_with_a_confidence_level_keeps_a_margin() -> None:
    from bot.nlu.calibration import threshold_for_inscope_accuracy, wilson_lower_bound

    rng = np.random.default_rng(0)
    n = 3000
    conf = rng.uniform(0.0, 1.0, n)
    correct = rng.uniform(0.0, 1.0, n) < 0.2 + 0.8 * conf  # surer answers are right more often
    point = threshold_for_inscope_accuracy(conf, correct, 0.5)
    bounded = threshold_for_inscope_accuracy(conf, correct, 0.5, confidence_level=0.95)
    assert bounded < point  # a lower threshold answers more: the margin
    kept = int(((conf >= bounded) & correct).sum())
    assert wilson_lower_bound(kept, n) >= 0.5
    # The highest such threshold: the next correct answer up would break the bound.
    assert wilson_lower_bound(kept - 1, n) < 0.5
    # A target the bound cannot reach even with no fallback: answer everything.
    all_right = int(correct.sum())
    assert (
        threshold_for_inscope_accuracy(conf, correct, all_right / n, confidence_level=0.95) == 0.0
    )


def test_the_inscope_loss_rule_keeps_understood_messages_although_oos_overlaps() -> None:
    """Diffuse confidences (many intents): the balanced rule would send a large share
    of understood messages to the fallback to catch a few out-of-scope ones."""
    rng = np.random.default_rng(1)
    inscope = rng.uniform(0.2, 0.9, 400)
    oos = rng.uniform(0.2, 0.5, 30)
    correct = np.ones(400, dtype=bool)

    balanced = choose_threshold(inscope, correct, oos)
    keep = choose_threshold(inscope, correct, oos, max_inscope_loss=0.05, rule="inscope_loss")

    assert np.mean(inscope >= balanced) < 0.8
    assert np.mean(inscope >= keep) == pytest.approx(0.95, abs=0.01)
    assert keep < balanced


def test_an_unknown_calibration_rule_says_which_exist() -> None:
    with pytest.raises(CalibrationError, match="balanced, inscope_loss"):
        choose_threshold(np.array([0.5, 0.9]), np.array([True, True]), rule="strict")
