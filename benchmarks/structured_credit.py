"""Credit part of the structured benchmark: the scorecard against two baselines.

Five stratified folds; inside each, the scorecard refits its own bins (no
leakage), a logistic regression on one-hot features and a gradient-boosting
model see the same ten non-protected columns. Out-of-fold predictions give the
ROC curve, the score distribution, the decision bands and the fairness check
across the protected groups the scorecard never sees.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from generators.credit import (
    CATEGORICAL,
    DEFAULT_ARTIFACT,
    FEATURES,
    TARGET,
    Scorecard,
    fit_scorecard,
)

COLUMNS = [f.column for f in FEATURES]


def ks_statistic(y: np.ndarray, p: np.ndarray) -> float:
    from sklearn.metrics import roc_curve

    fpr, tpr, _ = roc_curve(y, p)
    return float(np.max(tpr - fpr))


def _onehot_logreg():
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    cats = [c for c in COLUMNS if c in CATEGORICAL]
    nums = [c for c in COLUMNS if c not in CATEGORICAL]
    encode = ColumnTransformer(
        [("cat", OneHotEncoder(handle_unknown="ignore"), cats), ("num", StandardScaler(), nums)]
    )
    return make_pipeline(encode, LogisticRegression(max_iter=2000))


def _gbm():
    from sklearn.ensemble import HistGradientBoostingClassifier

    return HistGradientBoostingClassifier(
        max_depth=3,
        learning_rate=0.05,
        max_iter=200,
        categorical_features="from_dtype",
        random_state=0,
    )


def run(data: Path, *, folds: int = 5, seed: int = 0) -> dict[str, Any]:
    import pandas as pd
    from sklearn.metrics import roc_auc_score, roc_curve
    from sklearn.model_selection import StratifiedKFold

    frame = pd.read_csv(data)
    y = (frame[TARGET] == "bad").astype(int).to_numpy()
    gbm_frame = frame[COLUMNS].copy()
    for c in COLUMNS:
        if c in CATEGORICAL:
            gbm_frame[c] = gbm_frame[c].astype("category")
    shipped = Scorecard(artifact_path=DEFAULT_ARTIFACT)
    oof = {name: np.zeros(len(y)) for name in ("scorecard", "logreg_onehot", "gbm")}
    per_fold: dict[str, list[float]] = {name: [] for name in oof}
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for train, test in splitter.split(frame, y):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            artifact = {**shipped.artifact, **fit_scorecard(frame.iloc[train], y[train])}
        card = Scorecard(artifact=artifact)
        records = frame.iloc[test][COLUMNS].to_dict("records")
        oof["scorecard"][test] = [card.probability(r) for r in records]
        oof["logreg_onehot"][test] = (
            _onehot_logreg()
            .fit(frame.iloc[train][COLUMNS], y[train])
            .predict_proba(frame.iloc[test][COLUMNS])[:, 1]
        )
        oof["gbm"][test] = (
            _gbm().fit(gbm_frame.iloc[train], y[train]).predict_proba(gbm_frame.iloc[test])[:, 1]
        )
        for name in oof:
            per_fold[name].append(float(roc_auc_score(y[test], oof[name][test])))
    metrics = {}
    for name, p in oof.items():
        auc = float(np.mean(per_fold[name]))
        fpr, tpr, _ = roc_curve(y, p)
        metrics[name] = {
            "auc_mean": auc,
            "auc_std": float(np.std(per_fold[name])),
            "auc_folds": per_fold[name],
            "gini": 2 * auc - 1,
            "ks": ks_statistic(y, p),
            "roc": {"fpr": fpr.tolist(), "tpr": tpr.tolist()},
        }
    scores = np.array([shipped.points_to_score(p) for p in oof["scorecard"]])
    decisions = np.array([shipped.decide(p).value for p in oof["scorecard"]])
    bands = {
        d: {"share": float(np.mean(decisions == d)), "bad_rate": float(np.mean(y[decisions == d]))}
        for d in ("pre_approved", "review", "declined")
        if np.any(decisions == d)
    }
    return {
        "metrics": metrics,
        "bands": bands,
        "fairness": fairness(frame, y, oof["scorecard"], decisions),
        "oof_scores": {"good": scores[y == 0].tolist(), "bad": scores[y == 1].tolist()},
    }


def fairness(frame: Any, y: np.ndarray, p: np.ndarray, decisions: np.ndarray) -> dict[str, Any]:
    """Pre-approval rate, bad rate and AUC per protected group (never a model input)."""
    from sklearn.metrics import roc_auc_score

    groups = {
        "sex": np.where(
            frame["personal_status_and_sex"].str.startswith("female"), "female", "male"
        ),
        "age": np.where(frame["age_in_years"] < 25, "under_25", "25_and_over"),
        "foreign_worker": np.where(frame["foreign_worker"] == "yes", "yes", "no"),
    }
    out: dict[str, Any] = {}
    for attribute, labels in groups.items():
        rows = {}
        for group in sorted(set(labels)):
            mask = labels == group
            rows[group] = {
                "n": int(mask.sum()),
                "bad_rate": float(y[mask].mean()),
                "mean_pd": float(p[mask].mean()),
                "pre_approval_rate": float(np.mean(decisions[mask] == "pre_approved")),
                "decline_rate": float(np.mean(decisions[mask] == "declined")),
                "auc": float(roc_auc_score(y[mask], p[mask])) if len(set(y[mask])) == 2 else None,
            }
        rates = [r["pre_approval_rate"] for r in rows.values()]
        out[attribute] = {
            "groups": rows,
            "pre_approval_ratio_min_over_max": min(rates) / max(rates) if max(rates) else None,
        }
    return out


if __name__ == "__main__":
    import sys

    result = run(Path(sys.argv[1]))
    print(json.dumps({k: v["auc_mean"] for k, v in result["metrics"].items()}, indent=1))
