"""onnxruntime-genai backend: the fast CPU runtime for the default local model.

The model builder (see :mod:`generators.backends.convert`) quantises the
weights to int8 and fuses attention, and the runtime keeps the KV cache in a
shared buffer; on two CPU cores that makes SmolLM2-135M several times faster
than transformers in fp32 (numbers in ``benchmarks/results/text.md``).
Decoding is a Python loop over tokens, so streaming and the deadline check
come at no cost.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from generators.errors import ModelLoadError
from generators.text import DEFAULT_OPTIONS, GenerationOptions, Message, TextGenerator


class OrtGenAIGenerator(TextGenerator):
    name = "ortgenai"

    def __init__(self, *, model_path: Path | str, max_context: int = 2048) -> None:
        path = Path(model_path)
        if not (path / "genai_config.json").exists():
            raise ModelLoadError(
                f"No onnxruntime-genai model at {path}; build it with "
                "`python -m generators.backends.convert` (make setup) or set "
                "TANDEM_TEXT_MODEL_PATH to a folder holding genai_config.json.",
                path=path,
            )
        try:
            import onnxruntime_genai as og
        except ImportError as e:
            raise ModelLoadError(
                "The ortgenai backend needs onnxruntime-genai; install the actions extra."
            ) from e
        started = time.perf_counter()
        try:
            self._model = og.Model(str(path))
            self._tokenizer = og.Tokenizer(self._model)
        except RuntimeError as e:
            raise ModelLoadError(f"onnxruntime-genai could not load {path}: {e}", path=path) from e
        self._og = og
        self.model_path = path
        self.max_context = max_context
        self.load_s = time.perf_counter() - started

    def prompt_ids(self, messages: Sequence[Message]) -> Sequence[int]:
        chat = json.dumps([{"role": m.role, "content": m.content} for m in messages])
        prompt = self._tokenizer.apply_chat_template(chat, add_generation_prompt=True)
        return self._tokenizer.encode(prompt)

    def generate(
        self, messages: Sequence[Message], options: GenerationOptions = DEFAULT_OPTIONS
    ) -> str:
        return "".join(self.stream(messages, options))

    def stream(
        self, messages: Sequence[Message], options: GenerationOptions = DEFAULT_OPTIONS
    ) -> Iterator[str]:
        og = self._og
        ids = self.prompt_ids(messages)
        params = og.GeneratorParams(self._model)
        search: dict[str, float | int | bool] = {
            "max_length": min(len(ids) + options.max_new_tokens, self.max_context),
            "repetition_penalty": options.repetition_penalty,
            "do_sample": options.temperature > 0,
        }
        if options.no_repeat_ngram_size:
            search["no_repeat_ngram_size"] = options.no_repeat_ngram_size
        if options.temperature > 0:
            search.update(temperature=options.temperature, top_p=options.top_p)
        params.set_search_options(**search)
        generator = og.Generator(self._model, params)
        generator.append_tokens(ids)
        decoder = self._tokenizer.create_stream()
        text = ""
        while not generator.is_done():
            options.check_deadline()
            generator.generate_next_token()
            piece = decoder.decode(generator.get_next_tokens()[0])
            text += piece
            if any(stop in text for stop in options.stop):
                return
            if piece:
                yield piece
