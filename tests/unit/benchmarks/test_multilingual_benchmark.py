"""The MASSIVE benchmark's path on a few made-up rows: train, parse, serve, write the contract.

The real run (benchmarks/multilingual.py on ../shared/data/massive) takes most of an
hour; this one trains Tandem's pipeline on both languages and Rasa's Chinese
pipeline for one epoch, on three examples per intent, through the same code.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytestmark = [pytest.mark.engine, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[3]
ENCODER = ROOT / "models" / "encoders" / "multilingual-e5-small"
ROWS = {
    "zh-CN": {
        "alarm_set": ["明天早上七点叫醒我", "设一个六点的闹钟", "帮我定个闹钟",
                      "早上八点提醒我起床"],
        "weather_query": ["今天天气怎么样", "明天会下雨吗", "外面冷不冷", "这周末天气如何"],
        "play_music": ["放一首周杰伦的歌", "我想听音乐", "播放轻音乐", "来点摇滚乐"],
    },
    "en-US": {
        "alarm_set": ["wake me up at seven", "set an alarm for six", "set an alarm please",
                      "alarm at eight tomorrow"],
        "weather_query": ["what's the weather today", "will it rain tomorrow", "is it cold outside",
                          "weather this weekend"],
        "play_music": ["play some jay chou", "i want to hear music", "play soft music",
                       "put on some rock"],
    },
}  # fmt: skip


def _write(folder: Path) -> None:
    for locale, intents in ROWS.items():
        (folder / locale).mkdir(parents=True)
        for split, rows in (("train", slice(0, 3)), ("test", slice(3, 4))):
            lines = ["text,category"] + [
                f"{text},{intent}" for intent, texts in intents.items() for text in texts[rows]
            ]
            (folder / locale / f"{split}.csv").write_text("\n".join(lines) + "\n")


@pytest.mark.skipif(
    not (ENCODER / "encoder.onnx").exists(),
    reason="multilingual encoder not exported (`make setup` writes it)",
)
def test_short_run_writes_the_results_contract(tmp_path: Path) -> None:
    from benchmarks.multilingual import CONTRACT, main

    _write(tmp_path / "massive")
    out = tmp_path / "results"
    argv = ["--massive", str(tmp_path / "massive"), "--out", str(out), "--diet-epochs", "1",
            "--tasks", "joint,rasa_zh", "--latency-requests", "5", "--threads", "1"]  # fmt: skip
    assert main(argv) == 0

    results = json.loads((out / "multilingual.json").read_text())
    assert set(CONTRACT) <= set(results)
    for key in ("massive_zh_acc", "massive_en_acc", "rasa_zh_acc"):
        assert 0.0 <= results[key] <= 1.0
    assert results["massive_en_to_zh_acc"] is None  # not run: reported as not computed
    assert results["parse_p50_ms_zh"] > 0 and results["train_s"] > 0
    assert "not computed" in (out / "multilingual.md").read_text()


@pytest.mark.skipif(
    not (ENCODER / "encoder.onnx").exists(),
    reason="multilingual encoder not exported (`make setup` writes it)",
)
def test_the_cross_lingual_task_can_read_the_chinese_gloss(tmp_path: Path) -> None:
    from benchmarks.multilingual import main

    _write(tmp_path / "massive")
    out, work = tmp_path / "results", tmp_path / "work"
    argv = ["--massive", str(tmp_path / "massive"), "--out", str(out), "--tasks", "en_to_zh",
            "--gloss-tasks", "en_to_zh", "--threads", "1", "--workdir", str(work)]  # fmt: skip
    assert main(argv) == 0

    results = json.loads((out / "multilingual.json").read_text())
    assert 0.0 <= results["massive_en_to_zh_acc"] <= 1.0
    assert results["gloss"] == ["en_to_zh"] and results["massive_zh_acc"] is None
    [config] = work.glob("tandem_en_to_zh-*/config.yml")
    text = config.read_text()
    assert "bot.nlu.gloss.GlossingEncoderFeaturizer" in text
    assert "bot.nlu.gloss.GlossMixingIntentClassifier\n    gloss_weight: 0.3" in text
    note = "gloss_weight 0.3, 0 code-switched copies per English example) is read by: en_to_zh"
    assert note in (out / "multilingual.md").read_text()


def test_fine_tune_steps_per_task_and_code_switched_tuning_reach_the_configs() -> None:
    import argparse

    from benchmarks.multilingual import TANDEM_CONFIG, fine_tune_steps, with_gloss

    assert fine_tune_steps("540") == {"*": 540}
    assert fine_tune_steps("joint=1080,en_to_zh=540") == {"*": 300, "joint": 1080, "en_to_zh": 540}
    for bad in ("joint=many", "rasa_zh=10"):
        with pytest.raises(argparse.ArgumentTypeError, match="joint=1080,en_to_zh=540"):
            fine_tune_steps(bad)
    config = TANDEM_CONFIG.format(
        english="", encoder="e5", threads=1, fine_tune="true", actions_python="python",
        fine_tune_steps=540, fine_tune_timeout="", center="true", samples="null",
        layers="null", full_coverage=1.0,
    )  # fmt: skip
    glossed = with_gloss(config, 0.3, 2, tune=True)
    assert (
        "bot.nlu.gloss.GlossingEncoderFeaturizer\n    code_switch_copies: 2\n"
        "    code_switch_fine_tune: true\n"
    ) in glossed
    assert "code_switch_fine_tune" not in with_gloss(config, 0.3, 2)
