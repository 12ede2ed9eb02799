"""OpenAI-compatible HTTP backend: vLLM, TGI, llama.cpp's server, Ollama.

This is how a business serves a bigger model on a GPU. The official ``openai``
client does the protocol, streaming (server-sent events) and retries with
backoff on connection errors, 408/409/429 and 5xx; we add a timeout on by
default and map its errors onto :mod:`generators.errors`. Tests run it against
a stand-in server on 127.0.0.1 (``tests/integration/generators``).
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from typing import Any

from generators.errors import EmptyGeneration, GenerationTimeout, GeneratorError, ModelLoadError
from generators.text import DEFAULT_OPTIONS, GenerationOptions, Message, TextGenerator


class OpenAICompatGenerator(TextGenerator):
    name = "openai"

    def __init__(
        self,
        *,
        base_url: str = "http://127.0.0.1:8000/v1",
        model: str = "default",
        api_key: str = "not-needed",
        timeout_s: float = 10.0,
        max_retries: int = 2,
    ) -> None:
        try:
            import openai
        except ImportError as e:
            raise ModelLoadError(
                "The openai backend needs the openai package; install the actions extra."
            ) from e
        self._openai = openai
        self._client = openai.OpenAI(
            base_url=base_url,
            api_key=api_key,
            timeout=timeout_s,
            max_retries=max_retries,
        )
        self.base_url = base_url
        self.model = model
        self.timeout_s = timeout_s

    def _request(self, messages: Sequence[Message], options: GenerationOptions) -> dict[str, Any]:
        request: dict[str, Any] = {
            "model": self.model,
            "messages": [{"role": m.role, "content": m.content} for m in messages],
            "max_tokens": options.max_new_tokens,
            "temperature": options.temperature,
            "top_p": options.top_p,
            # Not in OpenAI's API, but vLLM, llama.cpp and TGI read it; others ignore it.
            # vLLM and TGI read repetition_penalty, llama.cpp's server repeat_penalty
            "extra_body": {
                "repetition_penalty": options.repetition_penalty,
                "repeat_penalty": options.repetition_penalty,
            },
        }
        if options.stop:
            request["stop"] = list(options.stop)
        if options.deadline is not None:
            remaining = options.deadline - time.monotonic()
            if remaining <= 0:
                options.check_deadline()
            request["timeout"] = min(self.timeout_s, remaining)
        return request

    def _errors(self, e: Exception) -> GeneratorError:
        if isinstance(e, self._openai.APITimeoutError):
            return GenerationTimeout(
                f"{self.base_url} did not answer within {self.timeout_s} s; check the server's "
                "load or raise timeout_s.",
                deadline_s=self.timeout_s,
            )
        if isinstance(e, self._openai.APIConnectionError):
            return ModelLoadError(
                f"Cannot reach the model server at {self.base_url}; is it running? ({e})"
            )
        return GeneratorError(f"The model server at {self.base_url} answered with an error: {e}")

    def generate(
        self, messages: Sequence[Message], options: GenerationOptions = DEFAULT_OPTIONS
    ) -> str:
        try:
            response = self._client.chat.completions.create(**self._request(messages, options))
        except self._openai.OpenAIError as e:
            raise self._errors(e) from e
        if not response.choices or not response.choices[0].message.content:
            raise EmptyGeneration(f"{self.base_url} returned no text for model {self.model}.")
        return str(response.choices[0].message.content)

    def stream(
        self, messages: Sequence[Message], options: GenerationOptions = DEFAULT_OPTIONS
    ) -> Iterator[str]:
        try:
            events = self._client.chat.completions.create(
                **self._request(messages, options), stream=True
            )
            for event in events:
                options.check_deadline()
                if event.choices and event.choices[0].delta.content:
                    yield event.choices[0].delta.content
        except self._openai.OpenAIError as e:
            raise self._errors(e) from e
