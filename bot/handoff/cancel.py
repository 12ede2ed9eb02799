"""Whether a waiting customer's message takes back the request for a person.

"never mind", "cancel", "forget it", "I'll wait for the bot" while in the
queue mean the customer no longer wants a colleague; "can I cancel my order?"
or "never mind the charger, the phone is dead too" are messages for the
colleague. So a cancel phrase counts only when it is (nearly) the whole
message, with nothing but fillers around it ("ok", "actually", "thanks",
"it's fine"), or when the customer says they will carry on with the bot.
Pure functions on the (redacted) text, so the rule is the same wherever it runs.
"""

from __future__ import annotations

import re

_FILLER = (
    r"(?:ok(?:ay)?|oh|ah|hmm+|well|actually|sorry|no|nah|please|pls|thanks|thank you|thx|ty|"
    r"then|just|its? fine|it's fine|all good|no worries|i'?m fine|i'?m good|dont worry|"
    r"don'?t worry|i sorted it|sorted it|i'?ve sorted it|sorted|i found it|i figured it out|"
    r"i'?ll manage|its ok|it'?s ok|after all|anymore|any more)"
)
_CANCEL = (
    r"(?:never\s*mind|nevermind|nvm|n/m|forget (?:it|that|about it|this)|"
    r"cancel(?:l?ed)?(?: (?:it|that|this|the request|my request|the handoff|please|now))?|"
    r"stop(?: waiting| the request| it)?|"
    r"don'?t bother|no need|not needed|no longer needed|leave it|skip it|"
    r"i don'?t need (?:a |the )?(?:person|human|agent|colleague|anyone|someone|help)|"
    r"i no longer need (?:a |the )?(?:person|human|agent|colleague|anyone|someone)|"
    r"i changed my mind|changed my mind)"
)
_WHOLE = re.compile(rf"^(?:{_FILLER}\s)*{_CANCEL}(?:\s{_FILLER})*$")
_BOT = r"(?:the )?(?:bot|chatbot|assistant|robot|ai|{names})"
_WITH_BOT = (
    r"\b(?:i'?ll|i will|i can|let me|i'?d rather|rather|happy to|fine to|i'?m ok(?:ay)? to)\s+"
    r"(?:just\s+)?(?:wait for|stay with|talk to|chat with|continue with|carry on with|go with|"
    r"stick with|use|go back to|ask)\s+" + _BOT + r"\b"
)
_BACK_TO_BOT = r"\b(?:back to|keep|continue with) " + _BOT + r"\b"
MAX_WORDS_WITH_BOT = 14
# Chinese: the whole message is a cancel phrase with fillers ("好的 算了", "不用了 谢谢").
_ZH_CANCEL = (
    r"(?:还是)?(?:算了|不用了?|不需要了?|取消(?:请求|人工)?|我不等了|不等了|不用转人工了?|"
    r"还是问机器人吧?)"
)
_ZH_WHOLE = re.compile(
    rf"^(?:好的?|嗯|哦|那|没事了?|没关系|谢谢)*{_ZH_CANCEL}(?:吧|了|啦|谢谢|我自己来|{_ZH_CANCEL})*$"
)


def _normalise(text: str) -> str:
    text = text.lower().replace("\u2019", "'")
    text = re.sub(r"[^\w'/ ]+", " ", text)
    return " ".join(text.split())


def wants_to_cancel(text: str, *, assistant_names: tuple[str, ...] = ("volt",)) -> bool:
    """Whether ``text``, written while waiting for a person, cancels that request."""
    said = _normalise(text)
    if not said:
        return False
    if _ZH_WHOLE.match(said.replace(" ", "")):
        return True
    if _WHOLE.match(said):
        return True
    names = "|".join(re.escape(n.lower()) for n in assistant_names if n) or "volt"
    if len(said.split()) > MAX_WORDS_WITH_BOT:
        return False
    with_bot = re.compile(_WITH_BOT.format(names=names) + "|" + _BACK_TO_BOT.format(names=names))
    return bool(with_bot.search(said))
