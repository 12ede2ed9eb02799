"""Generation half of the text benchmark: our backends against the plain pipeline.

Every figure comes from one process on one machine, so ratios hold even when
the absolute numbers move with the machine's load. Tokens are counted by
re-tokenising each output with the model's tokenizer, the same for all.
"""

from __future__ import annotations

import itertools
import statistics
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from benchmarks import KNOWLEDGE_DIR
from generators.retrieval import load_chunks
from generators.text import GenerationOptions, Message, TextGenerator

SHORT = [Message("user", "Write a short product description of a lightweight laptop.")]
QUALITY_PROMPTS = [
    "Write a short product description of a lightweight laptop.",
    "Give three tips for making a phone battery last longer.",
    "Explain in two sentences what a mobile data plan is.",
]


def long_prompt(tokenizer: Any, target_tokens: int = 500) -> list[Message]:
    text = ""
    for chunk in load_chunks(KNOWLEDGE_DIR):
        if len(tokenizer.encode(text + chunk.text)) > target_tokens - 20:
            break
        text += chunk.text + "\n"
    return [Message("user", f"{text}\nSummarise the policies above in two sentences.")]


def fresh(messages: list[Message], run: int) -> list[Message]:
    """A run-numbered copy of ``messages`` for timing.

    llama.cpp's server reuses the KV cache of the longest prefix shared with the
    previous request, so the same prompt twice costs no prefill the second
    time. Numbering the user's message at its start keeps only the chat
    template's head in common (any server with a prefix cache keeps that), so
    every timed run pays for the prompt it is timed on, as a new question does.
    """
    *head, last = messages
    return [*head, Message(last.role, f"({run}) {last.content}")]


def distinct_4(tokens: list[int]) -> float:
    """Share of 4-grams that are unique: 1.0 means no repetition, low values mean loops."""
    grams = [tuple(tokens[i : i + 4]) for i in range(len(tokens) - 3)]
    return len(set(grams)) / len(grams) if grams else 1.0


def timed_stream(stream: Iterator[str]) -> tuple[str, float, float]:
    """(text, seconds to the first piece, total seconds)."""
    start = time.perf_counter()
    first = None
    parts = []
    for piece in stream:
        if first is None:
            first = time.perf_counter() - start
        parts.append(piece)
    total = time.perf_counter() - start
    return "".join(parts), first or total, total


def measure(
    run: Callable[[], tuple[str, float, float]], count: Callable[[str], int], repeat: int
) -> dict[str, float]:
    run()  # warm-up
    ttfts, rates, e2e, lengths = [], [], [], []
    for _ in range(repeat):
        text, ttft, total = run()
        n = count(text)
        ttfts.append(ttft * 1000)
        rates.append((n - 1) / (total - ttft) if n > 1 and total > ttft else 0.0)
        e2e.append(n / total)
        lengths.append(n)
    return {
        "ttft_ms_p50": statistics.median(ttfts),
        "decode_tokens_per_s": statistics.median(rates),
        "e2e_tokens_per_s": statistics.median(e2e),
        "new_tokens": statistics.median(lengths),
        "runs": repeat,
    }


def ours(
    generator: TextGenerator, tokenizer: Any, *, max_new_tokens: int, repeat: int
) -> dict[str, Any]:
    options = GenerationOptions(max_new_tokens=max_new_tokens)

    def count(text: str) -> int:
        return len(tokenizer.encode(text, add_special_tokens=False))

    def run(messages: list[Message]) -> Callable[[], tuple[str, float, float]]:
        runs = itertools.count(1)
        return lambda: timed_stream(generator.stream(fresh(messages, next(runs)), options))

    quality = []
    for prompt in QUALITY_PROMPTS:
        text = generator.generate([Message("user", prompt)], options)
        quality.append(
            {"prompt": prompt, "text": text, "distinct_4": distinct_4(_ids(tokenizer, text))}
        )
    return {
        "short": measure(run(SHORT), count, repeat),
        "long_500": measure(run(long_prompt(tokenizer)), count, repeat),
        "greedy_outputs": quality,
    }


def repeated_prompt_ttft_ms(
    generator: TextGenerator, tokenizer: Any, *, max_new_tokens: int, repeat: int
) -> float:
    """Time to first token when the 500-token prompt is sent again unchanged (prefix cache)."""
    messages = long_prompt(tokenizer)
    options = GenerationOptions(max_new_tokens=max_new_tokens)
    figures = measure(
        lambda: timed_stream(generator.stream(messages, options)),
        lambda text: len(tokenizer.encode(text, add_special_tokens=False)),
        repeat,
    )
    return figures["ttft_ms_p50"]


def _ids(tokenizer: Any, text: str) -> list[int]:
    return list(tokenizer.encode(text, add_special_tokens=False))


def plain_pipeline(hf_dir: Path, *, max_new_tokens: int, repeat: int) -> dict[str, Any]:
    """``transformers.pipeline("text-generation")`` as documented: defaults, greedy."""
    from transformers import pipeline

    start = time.perf_counter()
    pipe = pipeline("text-generation", model=str(hf_dir), device="cpu")
    load_s = time.perf_counter() - start
    tokenizer = pipe.tokenizer
    if tokenizer is None:
        raise RuntimeError(
            f"{hf_dir} has no tokenizer; rerun `python -m generators.backends.convert`"
        )

    def chat(messages: list[Message]) -> list[dict[str, str]]:
        return [{"role": m.role, "content": m.content} for m in messages]

    def call(messages: list[Message], n: int) -> str:
        out = pipe(chat(messages), max_new_tokens=n, do_sample=False, return_full_text=False)
        return str(out[0]["generated_text"])

    def run(messages: list[Message]) -> Callable[[], tuple[str, float, float]]:
        runs = itertools.count(1)

        def once() -> tuple[str, float, float]:
            prompt = fresh(messages, next(runs))
            start = time.perf_counter()
            call(prompt, 1)
            ttft = time.perf_counter() - start
            start = time.perf_counter()
            text = call(prompt, max_new_tokens)
            return text, ttft, time.perf_counter() - start

        return once

    def count(text: str) -> int:
        return len(tokenizer.encode(text, add_special_tokens=False))

    quality = []
    for prompt in QUALITY_PROMPTS:
        text = call([Message("user", prompt)], max_new_tokens)
        quality.append(
            {"prompt": prompt, "text": text, "distinct_4": distinct_4(_ids(tokenizer, text))}
        )
    return {
        "load_s": load_s,
        "short": measure(run(SHORT), count, repeat),
        "long_500": measure(run(long_prompt(tokenizer)), count, repeat),
        "greedy_outputs": quality,
        "tokenizer": tokenizer,
    }
