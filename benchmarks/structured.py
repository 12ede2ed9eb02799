"""Benchmark of the structured generators, in one run.

    python -m benchmarks.structured --credit ../shared/data/credit/germancredit.csv \
        --movielens ../shared/data/movielens-100k

Writes ``benchmarks/results/structured.json`` (the results contract),
``structured.md`` (a short table) and three plots (ROC curves, score
distribution, recommender metrics). Credit: five-fold AUC/KS/Gini of the
shipped scorecard's recipe against one-hot logistic regression and gradient
boosting. Recommendations: MovieLens 100k, full ranking (see
:mod:`benchmarks.structured_recommend`). Latency: p50/p95 of each generator
as the action server calls it, on this CPU.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks import CATALOG_DIR, structured_credit, structured_recommend
from generators.credit import Scorecard
from generators.embeddings import SentenceTransformerEmbedder
from generators.mobile_plans import MobilePlanAdvisor
from generators.recommend import HybridRecommender
from generators.savings import SavingsPlanner

RESULTS = Path(__file__).parent / "results"


def latency(call: Callable[[], Any], *, repeat: int, warmup: int = 5) -> dict[str, float]:
    for _ in range(warmup):
        call()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    q = np.percentile(times, [50, 95])
    return {"p50_ms": float(q[0]), "p95_ms": float(q[1]), "n": repeat}


def latencies(embedder: SentenceTransformerEmbedder) -> dict[str, dict[str, float]]:
    card, advisor, planner = (
        Scorecard(),
        MobilePlanAdvisor(catalog_path=CATALOG_DIR / "mobile_plans.yml"),
        SavingsPlanner(),
    )
    recommender = HybridRecommender.from_catalog(CATALOG_DIR, embedder=embedder)
    application = {
        "credit_amount": 1500,
        "duration_months": 18,
        "monthly_income": 2200,
        "checking_balance": 150,
        "savings_balance": 400,
        "employment_years": 3,
        "housing": "rent",
        "credit_history": "paid_on_time",
        "other_installments": "none",
        "purpose": "electronics",
    }
    goal = {
        "goal_amount": 12000,
        "target_date": date(2030, 9, 1),
        "current_savings": 800,
        "loss_reaction": "wait",
        "experience": "some",
    }
    return {
        "credit": latency(lambda: card.score(application), repeat=2000),
        "mobile_plan": latency(
            lambda: advisor.recommend(
                {"data_gb": 25, "minutes": 800, "roaming_days": 4, "budget": 30}
            ),
            repeat=300,
        ),
        "savings_plan": latency(lambda: planner.plan(goal), repeat=2000),
        "recommend_history": latency(
            lambda: recommender.recommend({"customer_id": "c0007", "seen_product_ids": ["nova-8"]}),
            repeat=500,
        ),
        "recommend_query": latency(
            lambda: recommender.recommend({"query": "noise cancelling headphones for flights"}),
            repeat=100,
        ),
    }


def plots(credit: dict[str, Any], rec: dict[str, Any], out: Path) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = []
    fig, ax = plt.subplots(figsize=(5, 5))
    for name, m in credit["metrics"].items():
        ax.plot(m["roc"]["fpr"], m["roc"]["tpr"], label=f"{name} (AUC {m['auc_mean']:.3f})")
    ax.plot([0, 1], [0, 1], "k:", lw=0.8)
    ax.set(
        xlabel="false positive rate",
        ylabel="true positive rate",
        title="German Credit, 5-fold OOF ROC",
    )
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "structured_roc.png", dpi=110)
    names.append("structured_roc.png")

    fig, ax = plt.subplots(figsize=(6, 4))
    bins = np.linspace(350, 700, 36)
    ax.hist(credit["oof_scores"]["good"], bins=bins, alpha=0.6, label="good loans")
    ax.hist(credit["oof_scores"]["bad"], bins=bins, alpha=0.6, label="bad loans")
    ax.set(xlabel="scorecard score (out of fold)", ylabel="applicants", title="Score distribution")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "structured_scores.png", dpi=110)
    names.append("structured_scores.png")

    fig, ax = plt.subplots(figsize=(6, 4))
    models = ["most_popular", "item_knn", "als", "hybrid"]
    x = np.arange(len(models))
    ax.bar(x - 0.2, [rec[m]["hr_at_10"] for m in models], width=0.4, label="HR@10")
    ax.bar(x + 0.2, [rec[m]["ndcg_at_10"] for m in models], width=0.4, label="NDCG@10")
    ax.set_xticks(x, models)
    ax.set(title="MovieLens 100k, leave-last-out, full ranking")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "structured_recommenders.png", dpi=110)
    names.append("structured_recommenders.png")
    plt.close("all")
    return names


def summary(credit: dict[str, Any], rec: dict[str, Any], lat: dict[str, Any]) -> dict[str, Any]:
    m = credit["metrics"]
    out: dict[str, Any] = {
        "credit_auc_cv": m["scorecard"]["auc_mean"],
        "credit_auc_cv_std": m["scorecard"]["auc_std"],
        "credit_ks_cv": m["scorecard"]["ks"],
        "credit_gini_cv": m["scorecard"]["gini"],
        "credit_auc_logreg_onehot": m["logreg_onehot"]["auc_mean"],
        "credit_auc_gbm": m["gbm"]["auc_mean"],
        "credit_ks_logreg_onehot": m["logreg_onehot"]["ks"],
        "credit_ks_gbm": m["gbm"]["ks"],
        "rec_ndcg_at_10": rec["hybrid"]["ndcg_at_10"],
        "rec_hr_at_10": rec["hybrid"]["hr_at_10"],
        "rec_ndcg_at_10_als": rec["als"]["ndcg_at_10"],
        "rec_ndcg_at_10_popular": rec["most_popular"]["ndcg_at_10"],
        "rec_ndcg_at_10_itemknn": rec["item_knn"]["ndcg_at_10"],
        "rec_hr_at_10_popular": rec["most_popular"]["hr_at_10"],
        "rec_hr_at_10_itemknn": rec["item_knn"]["hr_at_10"],
        "ratios": {
            "credit_auc_scorecard_over_logreg_onehot": m["scorecard"]["auc_mean"]
            / m["logreg_onehot"]["auc_mean"],
            "credit_auc_scorecard_over_gbm": m["scorecard"]["auc_mean"] / m["gbm"]["auc_mean"],
            "rec_ndcg_hybrid_over_itemknn": rec["hybrid"]["ndcg_at_10"]
            / rec["item_knn"]["ndcg_at_10"],
            "rec_ndcg_hybrid_over_popular": rec["hybrid"]["ndcg_at_10"]
            / rec["most_popular"]["ndcg_at_10"],
        },
    }
    for name, values in lat.items():
        out[f"{name}_p50_ms"] = values["p50_ms"]
        out[f"{name}_p95_ms"] = values["p95_ms"]
    return out


def markdown(
    s: dict[str, Any], credit: dict[str, Any], rec: dict[str, Any], lat: dict[str, Any]
) -> str:
    m = credit["metrics"]
    lines = [
        "# Structured generators benchmark",
        "",
        "| credit (German Credit, 5-fold) | AUC | KS | Gini |",
        "|---|---|---|---|",
        *(
            f"| {n} | {v['auc_mean']:.3f} ± {v['auc_std']:.3f} | {v['ks']:.3f} | {v['gini']:.3f} |"
            for n, v in m.items()
        ),
        "",
        "| recommender (MovieLens 100k, full ranking) | HR@10 | NDCG@10 |",
        "|---|---|---|",
        *(
            f"| {n} | {rec[n]['hr_at_10']:.4f} | {rec[n]['ndcg_at_10']:.4f} |"
            for n in ("most_popular", "item_knn", "als", "hybrid")
        ),
        "",
        "| generator | p50 ms | p95 ms |",
        "|---|---|---|",
        *(f"| {n} | {v['p50_ms']:.3f} | {v['p95_ms']:.3f} |" for n, v in lat.items()),
        "",
        "Ratios: scorecard/one-hot LR AUC "
        f"{s['ratios']['credit_auc_scorecard_over_logreg_onehot']:.3f}, "
        f"scorecard/GBM {s['ratios']['credit_auc_scorecard_over_gbm']:.3f}, "
        f"hybrid/item-kNN NDCG@10 {s['ratios']['rec_ndcg_hybrid_over_itemknn']:.2f}, "
        f"hybrid/popular {s['ratios']['rec_ndcg_hybrid_over_popular']:.2f}.",
        "",
        "Plots: structured_roc.png, structured_scores.png, structured_recommenders.png.",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.structured")
    parser.add_argument(
        "--credit", type=Path, default=Path("../shared/data/credit/germancredit.csv")
    )
    parser.add_argument("--movielens", type=Path, default=Path("../shared/data/movielens-100k"))
    parser.add_argument(
        "--model-path", type=Path, default=None, help="sentence-transformers folder"
    )
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    embedder = SentenceTransformerEmbedder(model_path=args.model_path)
    credit = structured_credit.run(args.credit)
    rec = structured_recommend.run(args.movielens, embedder)
    lat = latencies(embedder)
    s = summary(credit, rec, lat)
    report = {
        **s,
        "credit": {k: v for k, v in credit.items() if k != "oof_scores"},
        "recommendations": rec,
        "latency": lat,
        "environment": {
            "python": platform.python_version(),
            "cpu_count": os.cpu_count(),
            "machine": platform.machine(),
            "note": "shared 2-core CPU; latencies are indicative",
        },
        "seconds": round(time.perf_counter() - started, 1),
    }
    plots(credit, rec, args.out)
    report["credit"]["metrics"] = {
        name: {k: v for k, v in metrics.items() if k != "roc"}
        for name, metrics in credit["metrics"].items()
    }
    (args.out / "structured.json").write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    (args.out / "structured.md").write_text(markdown(s, credit, rec, lat), encoding="utf-8")
    print(markdown(s, credit, rec, lat))


if __name__ == "__main__":
    main()
