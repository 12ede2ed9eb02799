"""The web widget's words, written into ``web/widget.js`` from the shared label files.

The widget is one plain script with no build step, and it must show its
interface in the visitor's language before it has talked to the server. So the
words it shows (its ``widget`` labels and the ``common`` card labels of
``bot/contract/locales/<language>.json``, the files Slack's and Teams' cards
read) are copied into a ``LOCALES`` object at the top of ``widget.js``, keyed
by language. The JSON files are the source; a unit test fails when the copy is
stale::

    python -m bot.channels.widget_strings        # rewrite the block in web/widget.js

A page can add or override words without touching the file
(``window.TandemWebChatConfig = {lang: "fr", strings: {fr: {...}}}``,
docs/channels/web.md). Standard library only.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Mapping
from pathlib import Path

from bot.contract.labels import read_locales
from bot.engine.errors import ChannelError

WIDGET_FILE = Path(__file__).resolve().parent / "web" / "widget.js"
SECTIONS = ("widget.", "common.")
"""The label keys the widget shows; ``slack.`` and ``teams.`` stay on the server."""
BEGIN = "  // BEGIN LOCALES: written by `python -m bot.channels.widget_strings` from"
END = "  // END LOCALES"


class WidgetStringsError(ChannelError, ValueError):
    """``widget.js`` lost the markers around its ``LOCALES`` block."""


def widget_locales(texts: Mapping[str, Mapping[str, str]]) -> dict[str, dict[str, str]]:
    """Each language's labels that the widget shows, by dotted key."""
    return {
        language: {key: text for key, text in sorted(labels.items()) if key.startswith(SECTIONS)}
        for language, labels in sorted(texts.items())
    }


def block(texts: Mapping[str, Mapping[str, str]]) -> str:
    """The generated lines, markers included."""
    body = json.dumps(widget_locales(texts), ensure_ascii=False, indent=2)
    indented = "\n".join(f"  {line}" if line else line for line in body.splitlines())
    return (
        f"{BEGIN}\n  // bot/contract/locales/*.json (edit those, not this).\n"
        f"  const LOCALES = {indented.lstrip()};\n{END}\n"
    )


def written(source: str, texts: Mapping[str, Mapping[str, str]]) -> str:
    """``source`` (widget.js) with its ``LOCALES`` block replaced by ``texts``'."""
    start = source.find(BEGIN)
    end = source.find(END, start)
    if start < 0 or end < 0:
        raise WidgetStringsError(
            f"{WIDGET_FILE} has no '{BEGIN.strip()}' ... '{END.strip()}' block; put the two "
            "comment lines back where the widget defines LOCALES and run this again."
        )
    tail = source.index("\n", end) + 1
    return source[:start] + block(texts) + source[tail:]


def main() -> int:
    source = WIDGET_FILE.read_text(encoding="utf-8")
    WIDGET_FILE.write_text(written(source, read_locales()), encoding="utf-8")
    logging.getLogger(__name__).info("wrote the LOCALES block of %s", WIDGET_FILE)
    return 0


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    sys.exit(main())
