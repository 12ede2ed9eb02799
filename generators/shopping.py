"""Is this message a shopping request? A deterministic check behind the classifier.

"4k tv under 700" or "laptop for video editing, max 1200" reads to an intent
classifier much like a form answer ("700") or a store question, and either
reply fails the customer. This check does not depend on the classifier: a
message is a shopping request when it names what to buy (a catalogue category,
a synonym or a need such as "better sound") or says it is shopping ("gift
ideas", "recommend"), and states a constraint (a budget, a use, a required
feature, "cheap" but not "the cheapest"), names no catalogue product (that is a question about it)
and is not about a policy, an order or a fault.

Right after a recommendation, a message that only states a budget ("under 500
please", "£30") narrows that recommendation: :func:`budget_refinement`.
Plain functions over strings and the catalogue's names, tested phrase by phrase.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from generators import constraints_zh as zh
from generators.constraints import Constraints, parse_budget, parse_constraints

# Questions about the shop rather than about what to buy: they keep their answers
# even when they name a category and a price ("can I return a laptop over £500?").
_NOT_SHOPPING = re.compile(
    r"\b(?:return(?:s|ed|ing)?|refund(?:s|ed)?|exchange|(?:send|take|bring) (?:\w+ )?back|"
    r"warrant(?:y|ies)|guarantee|discounts?|how much off|vouchers?|coupons?|promo codes?|"
    r"deliver(?:y|ed|ies)?|shipping|postage|dispatch(?:ed)?|collect(?:ion)?|click and collect|"
    r"repair(?:s|ed)?|fix(?:ed)?|broken|broke|faulty|cracked|smashed|damaged?|not working|"
    r"stopped|won'?t|doesn'?t work|keeps|track(?:ing)? (?:my )?order|my order|order number|"
    r"price match|(?:cheaper|less|lower) (?:at|in|from|on|elsewhere|somewhere|online)|"
    r"(?:i|we|just|already) (?:bought|ordered)|after (?:buying|i bought|ordering)|"
    r"trade[- ]?in|insurance|instal+ments?|financ(?:e|ing)|credit|apr|interest|"
    r"pay monthly|loan|spread(?:ing)?|per month|a month|monthly|opening|store hours|"
    r"complain(?:t)?|plans?|tariffs?|sim|contracts?|roaming|pay(?:ing)? off|\d+ months?)\b",
    re.I,
)
_SHOPPING_WORDS = re.compile(
    r"\b(?:gifts?|presents?|ideas?|rec+om+[ae]nd\w*|suggest\w*|looking for|shopping|"
    r"buy(?:ing)?|something|anything|options?|what can i get|what should i get)\b",
    re.I,
)
_POINTS_AT_SHOWN = re.compile(
    r"\b(?:first|second|third|last|1st|2nd|3rd|it|its|they|them|these|those|this one|"
    r"that one|the one|which one)\b",
    re.I,
)
# "the cheapest laptop" asks for one fact, not for recommendations.
_SUPERLATIVE = re.compile(r"\b(?:cheapest|least expensive|lowest[- ]priced?)\b", re.I)
_AMOUNT = re.compile(r"[£€$]?\s*\d[\d,.]*\s*(?:k\b|pounds?|quid|euros?|dollars?|gbp)?", re.I)
_AMOUNT_ONLY = re.compile(
    r"^\W*(?:(?:about|around|roughly|max(?:imum)?|up to|upto|under|below|less than|"
    r"no more than|at most|budget(?: is)?|i can spend|spend)\s*)?"
    r"[£€$]?\s*\d[\d,.]*\s*(?:k|pounds?|quid|euros?|dollars?|gbp|max|tops)?\s*"
    r"(?:please|pls|thanks|thank you|max|tops|or less)?\W*$",
    re.I,
)


# The same, in Chinese (no word boundaries: a word matches anywhere).
_NOT_SHOPPING_ZH = re.compile(
    r"退货|退款|退钱|换货|保修|质保|保修期|配送|运费|包邮|快递|发货|送货|到货|自提|维修|修理|"
    r"坏了|坏掉|不能用|用不了|开不了机|碎了|订单|单号|物流|价保|比价|优惠券|折扣码|以旧换新|"
    r"保险|分期|信用|贷款|利息|利率|月供|套餐|流量|话费|漫游|营业|几点|开门|关门|投诉|已经买了|刚买"
)
_SHOPPING_WORDS_ZH = re.compile(
    r"推荐|想买|想要|要买|买个|买一|买台|买部|买款|买副|买块|要个|有什么|有没有|有啥|礼物|送人|"
    r"挑|选个|选一|求推荐|看看|找个|找一"
)
_POINTS_AT_SHOWN_ZH = re.compile(r"第[一二三1-3]|最后一|这个|那个|这款|那款|这几|那几|它|它们")
_AMOUNT_ONLY_ZH = re.compile(
    r"^\W*(?:那|嗯|好|好的)?[\uff0c,\s]*(?:预算)?(?:最多|不超过|顶多|大概|控制在)?\s*"
    r"[£€$]?\s*[\d零一二两三四五六七八九十百千万.]+\s*(?:块钱?|元|镑|英镑|磅)?\s*"
    r"(?:以下|以内|之内|左右|封顶)?(?:的)?(?:吧|呢|就行|就好|可以吗|行吗)?\W*$"
)


_PRICE_ELSEWHERE = re.compile(
    r"\bprice[- ]?match|\b(?:cheaper|less|lower) (?:at|in|from|on|elsewhere|somewhere|online)\b|"
    r"\bafter (?:buying|i bought|i'?ve bought|ordering|i ordered)\b|"
    r"\b(?:dropped|went down|reduced) (?:in price|after)\b",
    re.I,
)
_PRICE_ELSEWHERE_ZH = re.compile(
    r"价保|保价|比价|差价|别家.{0,6}便宜|刚买.{0,6}(?:降价|便宜)|买完.{0,6}降价"
)


def about_a_price_elsewhere(text: str) -> bool:
    """Whether a message is about a price already paid or seen elsewhere ("saw it £50
    cheaper at Currys after I bought it", "买完就降价了"): a price-match question for the
    knowledge base, never a budget for recommendations, whatever NLU made of it."""
    return bool(_PRICE_ELSEWHERE.search(text) or _PRICE_ELSEWHERE_ZH.search(text))


def _not_shopping(text: str) -> bool:
    return bool(
        _NOT_SHOPPING.search(text) or (zh.is_chinese(text) and _NOT_SHOPPING_ZH.search(text))
    )


def names_product(text: str, product_names: Iterable[str]) -> bool:
    """Whether the text names a catalogue product: its full name, or its first word
    with the model mark after it ("Nova 8", "Terra X", "Pulse ANC")."""
    low = f" {_squash(text)} "
    for name in product_names:
        words = _squash(name).split()
        marks = [" ".join(words)]
        if len(words) >= 2 and re.fullmatch(r"[a-z]?\d+\w*|[a-z]{1,3}", words[1]):
            marks.append(" ".join(words[:2]))
        if any(f" {m} " in low for m in marks):
            return True
    return False


def _squash(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


def shopping_request(
    text: str, categories: Iterable[str], product_names: Iterable[str] = ()
) -> Constraints | None:
    """The constraints of a shopping request, or None when the message is not one."""
    if not text or _not_shopping(text) or names_product(text, product_names):
        return None
    c = parse_constraints(text, categories)
    if not (c.category or _SHOPPING_WORDS.search(text) or _SHOPPING_WORDS_ZH.search(text)):
        return None
    cheap = c.prefer_cheap and not (_SUPERLATIVE.search(text) or zh.CHEAPEST.search(text))
    if not (c.budget or c.uses or c.features or cheap):
        return None
    return c


def budget_refinement(text: str) -> Constraints | None:
    """The budget of a message that states one and little else ("under 500 please",
    "i can spend 350 max", "£30"): meant for the recommendation just shown."""
    if not text or _not_shopping(text):
        return None
    if zh.is_chinese(text):
        if not _AMOUNT_ONLY_ZH.match(text):
            return None
        low, high, currency = zh.parse_budget(text)
        if low is None and high is None:
            _, high, currency = zh.parse_budget(f"{text.strip()}以下")
        if low is None and high is None:
            return None
        return Constraints(max_price=high, min_price=low, currency=currency)
    low, high, currency = parse_budget(text)
    amount = _AMOUNT.search(text) if _AMOUNT_ONLY.match(text) else None
    if low is None and high is None and amount:
        _, high, currency = parse_budget(f"under {amount.group(0)}")
    if low is None and high is None:
        return None
    return Constraints(max_price=high, min_price=low, currency=currency)


def refinement(text: str, categories: Iterable[str]) -> Constraints | None:
    """What a message right after a recommendation adds to it: a budget, a use or a
    feature ("for gaming", "oled only"); None when it adds none of these, or asks
    about a product shown ("is the first one waterproof?")."""
    if not text or _not_shopping(text) or _POINTS_AT_SHOWN.search(text):
        return None
    if zh.is_chinese(text) and _POINTS_AT_SHOWN_ZH.search(text):
        return None
    c = parse_constraints(text, categories)
    if c.uses or c.features or c.budget:
        return c
    budget = budget_refinement(text)
    return Constraints(**{**c.as_dict(), **budget.as_dict()}) if budget else None
