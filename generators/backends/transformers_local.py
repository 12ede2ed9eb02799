"""Local Hugging Face transformers backend: any causal LM folder, or a GGUF file.

The reference implementation: it runs every architecture transformers knows,
including a tiny model built from a config in tests. For speed on CPU use
:mod:`generators.backends.ortgenai` built from the same folder.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from generators.errors import GenerationTimeout, ModelLoadError
from generators.text import DEFAULT_OPTIONS, GenerationOptions, Message, TextGenerator


class TransformersGenerator(TextGenerator):
    name = "transformers"

    def __init__(
        self,
        *,
        model_path: Path | str,
        gguf_file: str | None = None,
        threads: int | None = None,
    ) -> None:
        path = Path(model_path)
        if not path.exists():
            raise ModelLoadError(
                f"No transformers model at {path}; run `python -m generators.backends.convert` "
                "(make setup) or set TANDEM_TEXT_MODEL_PATH to a model folder.",
                path=path,
            )
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        if threads:
            torch.set_num_threads(threads)
        started = time.perf_counter()
        try:
            self._tokenizer = AutoTokenizer.from_pretrained(path, gguf_file=gguf_file)
            self._model = AutoModelForCausalLM.from_pretrained(path, gguf_file=gguf_file)
        except (OSError, ValueError) as e:
            raise ModelLoadError(f"transformers could not load {path}: {e}", path=path) from e
        self._model.eval()
        self._torch = torch
        self.model_path = path
        self.load_s = time.perf_counter() - started

    def prompt_ids(self, messages: Sequence[Message]) -> Any:
        chat = [{"role": m.role, "content": m.content} for m in messages]
        if self._tokenizer.chat_template is None:
            raise ModelLoadError(
                f"The tokenizer in {self.model_path} has no chat template; add "
                "chat_template.jinja to the folder.",
                path=self.model_path,
            )
        return self._tokenizer.apply_chat_template(
            chat, add_generation_prompt=True, return_tensors="pt", return_dict=True
        )

    def _generate_kwargs(self, options: GenerationOptions) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "max_new_tokens": options.max_new_tokens,
            "repetition_penalty": options.repetition_penalty,
            "do_sample": options.temperature > 0,
            "pad_token_id": self._tokenizer.pad_token_id or self._tokenizer.eos_token_id,
        }
        if options.temperature > 0:
            kwargs.update(temperature=options.temperature, top_p=options.top_p)
        if options.no_repeat_ngram_size:
            kwargs["no_repeat_ngram_size"] = options.no_repeat_ngram_size
        if options.stop:
            kwargs.update(stop_strings=list(options.stop), tokenizer=self._tokenizer)
        if options.deadline is not None:
            deadline = options.deadline
            kwargs["max_time"] = max(0.0, deadline - time.monotonic())
        return kwargs

    def generate(
        self, messages: Sequence[Message], options: GenerationOptions = DEFAULT_OPTIONS
    ) -> str:
        inputs = self.prompt_ids(messages)
        with self._torch.inference_mode():
            out = self._model.generate(**inputs, **self._generate_kwargs(options))
        options.check_deadline()
        new = out[0, inputs["input_ids"].shape[1] :]
        return str(self._tokenizer.decode(new, skip_special_tokens=True))

    def stream(
        self, messages: Sequence[Message], options: GenerationOptions = DEFAULT_OPTIONS
    ) -> Iterator[str]:
        from transformers import TextIteratorStreamer

        inputs = self.prompt_ids(messages)
        streamer = TextIteratorStreamer(self._tokenizer, skip_prompt=True, skip_special_tokens=True)
        errors: list[BaseException] = []

        def run() -> None:
            try:
                with self._torch.inference_mode():
                    self._model.generate(
                        **inputs, **self._generate_kwargs(options), streamer=streamer
                    )
            except BaseException as e:  # re-raised in the consuming thread below
                errors.append(e)
                streamer.end()

        worker = threading.Thread(target=run, name="transformers-generate", daemon=True)
        worker.start()
        for piece in streamer:
            if piece:
                yield piece
        worker.join()
        if errors:
            raise errors[0]
        if options.deadline is not None and time.monotonic() > options.deadline:
            raise GenerationTimeout(
                "transformers generation hit its deadline (max_time).", deadline_s=options.deadline
            )
