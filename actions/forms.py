"""What Voltline's forms share: its catalogue's product names and its wording.

The form machinery is the kit's (:mod:`bot.sdk.forms`); Voltline's forms
subclass :class:`VoltlineFormValidation`, which blanks the catalogue's product
names out of an answer ("the Nova 8" is not 8 GB) and says what else Volt can
help with when a form is abandoned.
"""

from __future__ import annotations

import functools
import logging
import re
from typing import ClassVar

from bot.sdk.form_text import ProductNames
from bot.sdk.forms import ActionAbandonForm as KitActionAbandonForm
from bot.sdk.forms import TextFormValidation
from generators.errors import GeneratorError

logger = logging.getLogger(__name__)

STOPPED = (
    "No problem, I've stopped and forgotten those answers. Anything else I can help with? "
    "I can also tell you about store hours, products, mobile plans or financing."
)


@functools.cache
def catalogue_products() -> ProductNames:
    """The catalogue's product names with a digit in them ("Nova 8"), via the runtime."""
    from bot.sdk.runtime import get_runtime

    try:
        products, _ = get_runtime().get_sync("products")
    except GeneratorError as e:
        logger.warning("Product names unavailable for form parsing: %s", e)
        return ProductNames(())
    names = sorted((p.name for p in products if re.search(r"\d", p.name)), key=len, reverse=True)
    return ProductNames(tuple(names))


DIGRESSIONS = frozenset(
    {
        "ask_faq",
        "ask_store_hours",
        "ask_recommendation",
        "bot_challenge",
        "ask_remember_me",
        "out_of_scope",
    }
)
"""The questions a rule answers inside Voltline's forms before the form asks again
(data/rules.yml, "Forms (issue 18, finding 2)")."""


class VoltlineFormValidation(TextFormValidation):
    """A form that reads Voltline's customers' answers; subclasses declare ``slots``."""

    stopped: ClassVar[str] = STOPPED
    digressions: ClassVar[frozenset[str]] = DIGRESSIONS

    def product_names(self) -> ProductNames:
        return catalogue_products()


class ActionAbandonForm(KitActionAbandonForm):
    stopped = STOPPED

    def name(self) -> str:
        return "action_abandon_form"
