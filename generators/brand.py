"""Who an assistant speaks as: the names its prompts and fixed replies use.

Generators know no business of their own. Each prompt is a template with
``{assistant}``, ``{business}`` and ``{description}`` fields, filled from the
:class:`Brand` the caller passes (the action server's runtime builds it from
the project's ``assistant.yml``). A project may replace any template by its
key (:data:`PROMPT_KEYS`) under ``prompts:`` in ``assistant.yml``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from bot.errors import ConfigError

PROMPT_KEYS: Mapping[str, str] = MappingProxyType(
    {
        "answer": "system prompt of grounded answers (generators.answer)",
        "rephrase": "system prompt of response rephrasing (generators.rephrase)",
        "marketing": "system prompt of marketing copy (generators.marketing)",
        "refusal": "reply to a prompt-injection attempt (generators.guardrails)",
    }
)
"""The prompt templates a project may override, and what each is for."""

FIELDS = ("assistant", "business", "description")


@dataclass(frozen=True)
class Brand:
    """The assistant's name, the business it speaks for, and prompt overrides."""

    assistant: str
    business: str
    description: str = "a business"
    prompts: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def __post_init__(self) -> None:
        unknown = sorted(set(self.prompts) - set(PROMPT_KEYS))
        if unknown:
            raise ConfigError(
                f"Unknown prompt key(s) {', '.join(unknown)} under prompts:; use one of "
                f"{', '.join(PROMPT_KEYS)}."
            )
        for key, template in self.prompts.items():
            try:
                template.format(**dict.fromkeys(FIELDS, ""))
            except (KeyError, IndexError, ValueError) as e:
                raise ConfigError(
                    f"The {key!r} prompt has a bad placeholder ({e}); it may use only "
                    f"{', '.join('{' + f + '}' for f in FIELDS)} (double other braces)."
                ) from e

    def fill(self, key: str, template: str) -> str:
        """The project's template for ``key`` (or ``template``) with the brand filled in."""
        chosen = self.prompts.get(key, template)
        return chosen.format(
            assistant=self.assistant, business=self.business, description=self.description
        )
