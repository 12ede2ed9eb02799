"""Choosing the "I did not understand" threshold from data instead of by hand.

A classifier's top confidence means different things for different models and
training sets (77 intents spread probability thinner than 10), so a constant
like Rasa's ``FallbackClassifier.threshold: 0.3`` is wrong somewhere. Here the
threshold is read off held-out predictions:

- with out-of-scope examples (an ``out_of_scope`` intent in the training data,
  or a validation split): the threshold that maximises the balanced accuracy of
  the answer/fallback decision, i.e. the mean of "correct in-scope answers kept"
  and "out-of-scope messages sent to fallback";
- without them, or with ``rule="inscope_loss"``: the threshold that sends at
  most ``max_inscope_loss`` of the in-scope messages the model gets right to the
  fallback. An assistant whose training data has an ``out_of_scope`` intent of
  its own chooses this rule when a misunderstood customer costs more than an
  out-of-scope message answered with the likeliest intent: the balanced rule
  weighs a few dozen out-of-scope examples as much as every in-scope one.

Pure numpy, so the benchmark and the Rasa component use the same rule.
"""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np

from bot.nlu.errors import CalibrationError

MIN_OOS_EXAMPLES = 5
RULES = ("balanced", "inscope_loss")


def choose_threshold(
    inscope_confidence: np.ndarray,
    inscope_correct: np.ndarray,
    oos_confidence: np.ndarray | None = None,
    *,
    max_inscope_loss: float = 0.05,
    rule: str = "balanced",
) -> float:
    """Return the confidence below which a message goes to the fallback.

    ``inscope_confidence`` and ``inscope_correct`` describe held-out in-scope
    messages (top confidence, whether the top intent was right);
    ``oos_confidence`` holds the top confidence for out-of-scope messages;
    ``rule`` is ``"balanced"`` or ``"inscope_loss"`` (see the module's text).
    """
    if rule not in RULES:
        raise CalibrationError(f"Unknown calibration rule {rule!r}; use one of {', '.join(RULES)}.")
    conf = np.asarray(inscope_confidence, dtype=np.float64)
    correct = np.asarray(inscope_correct, dtype=bool)
    if conf.shape != correct.shape or conf.size == 0:
        raise CalibrationError(
            "Calibration needs one confidence and one correct/incorrect flag per held-out "
            f"in-scope message; got {conf.shape} and {correct.shape}. Add training examples "
            "(at least 2 per intent) or set `fallback_threshold` to a number."
        )
    kept = conf[correct]
    if kept.size == 0:
        raise CalibrationError(
            "No held-out message was classified correctly, so no threshold can be read off; "
            "add training examples or set `fallback_threshold` to a number."
        )
    oos = None if oos_confidence is None else np.asarray(oos_confidence, dtype=np.float64)
    if rule == "inscope_loss" or oos is None or oos.size < MIN_OOS_EXAMPLES:
        return float(np.quantile(kept, max_inscope_loss))
    candidates = np.unique(np.concatenate([kept, oos]))
    kept_sorted = np.sort(kept)
    oos_sorted = np.sort(oos)
    # For a threshold t, a message is answered when its confidence is >= t.
    kept_rate = 1.0 - np.searchsorted(kept_sorted, candidates, side="left") / kept.size
    rejected_rate = np.searchsorted(oos_sorted, candidates, side="left") / oos.size
    score = (kept_rate + rejected_rate) / 2.0
    best = int(np.argmax(score))
    # Every threshold in (previous candidate, best] scores the same: take the middle
    # of that gap, the margin that generalises best to unseen messages.
    lower = candidates[best - 1] if best > 0 else candidates[best]
    return float((lower + candidates[best]) / 2.0)


def wilson_lower_bound(successes: int, n: int, level: float = 0.95) -> float:
    """Lower end of the Wilson score interval for a proportion ``successes / n``.

    ``level`` is the two-sided confidence level (0.95: the usual 95 % interval,
    z = 1.96). Unlike the normal approximation it stays inside [0, 1] and is
    sensible near 0 and 1, where accuracies live.
    """
    if n <= 0:
        raise CalibrationError("A confidence bound needs at least one message.")
    if not 0.0 < level < 1.0:
        raise CalibrationError(f"confidence level must be in (0, 1); got {level}")
    z = NormalDist().inv_cdf(0.5 + level / 2.0)
    p = successes / n
    centre = p + z * z / (2 * n)
    spread = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (centre - spread) / (1 + z * z / n)


def threshold_for_inscope_accuracy(
    inscope_confidence: np.ndarray,
    inscope_correct: np.ndarray,
    target: float,
    *,
    confidence_level: float | None = None,
) -> float:
    """The highest threshold that keeps in-scope accuracy at or above ``target``.

    In-scope accuracy counts a message as right only when it is answered
    (confidence at or above the threshold) with the right intent. Raising the
    threshold only ever sends more messages to the fallback, so this is the
    operating point with the most out-of-scope recall that still meets an
    in-scope accuracy target (for example the 95 % a business asks for).

    The accuracy measured on a validation split is an estimate; with
    ``confidence_level`` (e.g. 0.95) the target must hold for the lower end of
    its Wilson interval rather than for the point estimate, so the threshold
    keeps a margin that shrinks as the validation split grows. If the target
    cannot be met even with no fallback at all, the threshold is 0.
    """
    conf = np.asarray(inscope_confidence, dtype=np.float64)
    correct = np.asarray(inscope_correct, dtype=bool)
    if conf.shape != correct.shape or conf.size == 0:
        raise CalibrationError(
            "An in-scope accuracy target needs one confidence and one correct/incorrect flag "
            f"per held-out in-scope message; got {conf.shape} and {correct.shape}."
        )
    if not 0.0 < target <= 1.0:
        raise CalibrationError(f"in-scope accuracy target must be in (0, 1]; got {target}")
    kept = np.sort(conf[correct])
    if confidence_level is None:
        need = int(np.ceil(target * conf.size - 1e-9))
    else:
        # The fewest correct answers whose accuracy's lower bound reaches the target
        # (the bound grows with the count, so the first one found is the fewest).
        need = next(
            (
                k
                for k in range(1, kept.size + 1)
                if wilson_lower_bound(k, conf.size, confidence_level) >= target
            ),
            kept.size + 1,
        )
    if need > kept.size or need == 0:
        return 0.0
    return float(kept[kept.size - need])


def oos_metrics(
    inscope_pred: np.ndarray,
    inscope_true: np.ndarray,
    inscope_confidence: np.ndarray,
    oos_pred: np.ndarray,
    oos_confidence: np.ndarray,
    threshold: float,
    *,
    oos_label: str = "out_of_scope",
) -> tuple[float, float]:
    """In-scope accuracy and out-of-scope recall at ``threshold``.

    An in-scope message counts as correct only if it is answered (confidence at
    or above the threshold, not predicted out-of-scope) with the right intent;
    an out-of-scope message is recalled if it falls back or is predicted
    ``oos_label``.
    """
    answered = (np.asarray(inscope_confidence) >= threshold) & (inscope_pred != oos_label)
    inscope_acc = float(np.mean(answered & (inscope_pred == inscope_true)))
    rejected = (np.asarray(oos_confidence) < threshold) | (oos_pred == oos_label)
    return inscope_acc, float(np.mean(rejected))
