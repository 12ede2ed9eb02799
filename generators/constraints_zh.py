# ruff: noqa: RUF001  (Chinese punctuation, on purpose)
"""What a Chinese shopping request rules out: the words of :mod:`generators.constraints`.

The constraints are the same (a budget, a catalogue category, a use, a required
feature, "cheap" as a preference); only the words differ, and Chinese has no
spaces, so a number is a price only when the words around it say so: a
currency after it ("两千块", "400镑"), a limit after it ("三千以下", "500以内")
or before it ("最多400", "预算两千", "不超过1500"). "5G手机", "65寸" and
"16G内存" measure something else. :func:`generators.constraints.parse_constraints`
calls these for a message with Chinese in it. Plain functions over strings.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import Protocol

from bot.nlu.zh_numbers import ZH_NUMBER, parse_zh_number

HAN = re.compile(r"[\u4e00-\u9fff]")

_NUM = rf"(?P<n>{ZH_NUMBER})"
_CURRENCY = r"(?P<cur>块钱?|元|人民币|英镑|镑|磅|欧元|欧|美元|美金|刀|rmb|gbp|£|€|\$)"
_CURRENCIES = {
    "块": None,  # colloquial "units" of whatever money the shop prices in
    "块钱": None,
    "元": "CNY",
    "人民币": "CNY",
    "rmb": "CNY",
    "英镑": "GBP",
    "镑": "GBP",
    "磅": "GBP",
    "gbp": "GBP",
    "£": "GBP",
    "欧元": "EUR",
    "欧": "EUR",
    "€": "EUR",
    "美元": "USD",
    "美金": "USD",
    "刀": "USD",
    "$": "USD",
}
_AMOUNT = rf"(?P<sym>[£€$])?\s*{_NUM}\s*(?P<more>多|来|出头)?\s*{_CURRENCY}?"
_MAX_BEFORE = (
    r"不超过|不要超过|别超过|不能超过|不高于|低于|少于|小于|最多|顶多|至多|最高|上限|"
    r"预算(?:是|在|有|大概|只有|就)?|控制在|不到|只有"
)
_MAX_AFTER = r"以下|以内|之内|内|左右|上下|封顶|为限|以下的|预算|的预算|之下|出头"
_MIN_BEFORE = r"至少|最少|不低于|高于|超过|多于|起码"
_MIN_AFTER = r"以上|起步|起"
_RANGE = re.compile(
    rf"(?P<sym>[£€$])?\s*(?P<a>{ZH_NUMBER})\s*(?:{_CURRENCY})?\s*(?:到|至|-|~|～|—)\s*"
    rf"(?P<b>{ZH_NUMBER})\s*(?P<cur2>块钱?|元|英镑|镑|磅|欧元|美元|刀)?(?:之间|以内)?"
)
_MAX_1 = re.compile(rf"(?:{_MAX_BEFORE})\s*{_AMOUNT}")
_MAX_2 = re.compile(rf"{_AMOUNT}\s*(?:{_MAX_AFTER})")
_MIN_1 = re.compile(rf"(?:{_MIN_BEFORE})\s*{_AMOUNT}")
_MIN_2 = re.compile(rf"{_AMOUNT}\s*(?:{_MIN_AFTER})")
_MONEY = re.compile(_AMOUNT)
# After a number these measure something else: "65寸", "5G", "16G内存", "两年".
_NOT_MONEY_AFTER = re.compile(
    r"\s*(?:寸|英寸|g|gb|t|tb|m|mb|hz|赫兹|k|p|个?小时|年|个月|天|分钟|毫安|mah|倍|岁|人|款|台|部|个|件)",
    re.I,
)

CATEGORY_WORDS: dict[str, tuple[str, ...]] = {
    "laptops": ("笔记本", "笔电", "电脑", "手提", "游戏本", "轻薄本", "上网本"),
    "phones": ("手机", "智能机"),
    "headphones": ("耳机", "耳麦", "耳塞"),
    "tvs": ("电视",),
    "tablets": ("平板", "ipad"),
    "audio": ("音箱", "音响", "回音壁", "喇叭", "条形音箱"),
    "wearables": ("智能手表", "运动手表", "手表", "手环"),
    "accessories": ("配件", "充电器", "数据线", "手机壳", "保护壳", "鼠标", "扩展坞"),
}
NEED_WORDS: dict[str, tuple[str, ...]] = {
    "audio": ("音质", "听音乐", "低音"),
    "wearables": ("计步",),
}
_OWNED = re.compile(r"(?:我|我们|我家|家里)(?:的|那台|那个|现在的|旧)?$")

USE_WORDS: dict[str, tuple[str, ...]] = {
    "gaming": ("游戏", "电竞", "吃鸡", "打机", "玩3a", "steam"),
    "photo and video editing": ("剪辑", "修图", "剪视频", "视频编辑", "做视频", "后期", "ps"),
    "students": ("学生", "上学", "上课", "大学", "读书", "学习", "论文", "网课"),
    "running and the gym": ("跑步", "健身", "运动", "锻炼", "骑车", "游泳", "徒步"),
    "travel": ("旅行", "旅游", "出差", "通勤", "飞机"),
    "children": ("孩子", "小孩", "儿童", "儿子", "女儿", "宝宝"),
}
FEATURE_WORDS: dict[str, tuple[str, ...]] = {
    "OLED": ("oled",),
    "4K": ("4k", "超高清"),
    "5G": ("5g",),
    "noise cancelling": ("降噪",),
    "waterproofing": ("防水",),
    "wireless": ("无线", "蓝牙"),
    "GPS": ("gps", "定位"),
    "a folding design": ("折叠",),
    "a rugged build": ("三防", "耐摔", "防摔", "坚固"),
    "a stylus": ("手写笔", "触控笔"),
    "Dolby Atmos": ("全景声", "atmos"),
}
_CHEAP = re.compile(r"便宜|实惠|性价比|划算|不贵|平价|入门|省钱|经济")
CHEAPEST = re.compile(r"最便宜|最实惠|价格最低|最低价")

CATEGORY_NAMES = {
    "laptops": "笔记本电脑",
    "phones": "手机",
    "headphones": "耳机",
    "tvs": "电视",
    "tablets": "平板",
    "audio": "音箱",
    "wearables": "智能手表",
    "accessories": "配件",
}
USE_NAMES = {
    "gaming": "游戏",
    "photo and video editing": "修图和剪辑",
    "students": "学生",
    "running and the gym": "跑步和健身",
    "travel": "旅行",
    "children": "儿童",
}
FEATURE_NAMES = {
    "noise cancelling": "降噪",
    "waterproofing": "防水",
    "wireless": "无线",
    "a folding design": "折叠屏",
    "a rugged build": "三防",
    "a stylus": "手写笔",
    "Dolby Atmos": "杜比全景声",
}

EVIDENCE_ZH: dict[str, re.Pattern[str]] = {
    "gaming": re.compile(r"游戏|显卡|Hz|RGB"),
    "photo and video editing": re.compile(r"剪辑|修图|显卡|高性能"),
    "students": re.compile(r"学生|论文|笔记|平价|轻便"),
    "running and the gym": re.compile(r"跑步|健身|运动|防汗|心率|GPS"),
    "travel": re.compile(r"旅行|出行|出门|便携|轻|续航"),
    "children": re.compile(r"儿童|孩子|家长|防摔"),
    "noise cancelling": re.compile(r"降噪"),
    "waterproofing": re.compile(r"防水|防泼水"),
    "wireless": re.compile(r"无线|蓝牙"),
    "a folding design": re.compile(r"折叠|翻盖"),
    "a rugged build": re.compile(r"防摔|坚固|三防"),
    "a stylus": re.compile(r"手写笔"),
    "Dolby Atmos": re.compile(r"杜比全景声"),
}
"""Where a Chinese description says what an English attribute match found: the clauses
quoted in a Chinese reason (the match itself is the English one's)."""
_CLAUSE = re.compile(r"[，、；：。,;:]")


def evidence_zh(name: str, english_found: list[str], text_zh: str | None) -> list[str]:
    """The clauses of ``text_zh`` (a Chinese description) that show the use or feature
    ``name`` which the English text showed (``english_found``); the English quotes
    when there is no Chinese text or none of its clauses says it."""
    cue = EVIDENCE_ZH.get(name)
    if not english_found or not text_zh or cue is None:
        return english_found
    clauses = [c.strip() for c in _CLAUSE.split(text_zh) if c.strip()]
    return [c for c in clauses if cue.search(c)] or english_found


def is_chinese(text: str) -> bool:
    return bool(HAN.search(text or ""))


_NUMERAL_VALUES = {
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_ABOUT = re.compile(r"([一二两三四五六七八九])([二两三四五六七八九])([十百千万])")
"""Two neighbouring numerals before a unit, "四五千": about 4,000 to 5,000."""
_AND_MORE = re.compile(
    r"(?<![\d.一二两三四五六七八九十百千万])"
    r"(?:(?P<zh>[一二两三四五六七八九])(?P<unit>[十百千万])|(?P<d>\d*[1-9])(?P<zeros>0+))多(?!少)"
)
"""A round amount and "more", "三百多", "2000多": up to the next step of its last digit."""
_UNITS_AFTER = re.compile(
    r"(\d+(?:\.\d+)?)\s*([kw])(?=\s*(?:以下|以内|之内|左右|上下|出头|块|元|镑|英镑|预算|多))"
)
"""Net shorthand for money, "1k以下", "1.5w左右" (but "4k电视" is a resolution)."""


def _spelled_out(text: str) -> str:
    """Approximate amounts as explicit ones: "四五千" → "四千到五千", "三百多" → "400以内",
    "1k以下" → "1千以下"."""

    def about(m: re.Match[str]) -> str:
        a, b, unit = m.groups()
        if _NUMERAL_VALUES[b] != _NUMERAL_VALUES[a] + 1:
            return m.group()
        return f"{a}{unit}到{b}{unit}"

    def and_more(m: re.Match[str]) -> str:
        if m["zh"]:
            step = {"十": 10, "百": 100, "千": 1000, "万": 10_000}[m["unit"]]
            value = _NUMERAL_VALUES[m["zh"]] * step
        else:
            step = 10 ** len(m["zeros"])
            value = int(m["d"] + m["zeros"])
        return f"{value + step}以内"

    text = _UNITS_AFTER.sub(lambda m: m[1] + ("千" if m[2] == "k" else "万"), text)
    return _AND_MORE.sub(and_more, _ABOUT.sub(about, text))


def _normal(text: str) -> str:
    return _spelled_out(unicodedata.normalize("NFKC", text).lower())


def _value(m: re.Match[str], group: str = "n") -> float | None:
    if m.group(group) is None:
        return None
    if _NOT_MONEY_AFTER.match(m.string, m.end(group)) and not _money_after(m):
        return None
    return parse_zh_number(m.group(group))


def _money_after(m: re.Match[str]) -> bool:
    return bool("cur" in m.re.groupindex and m.group("cur"))


def _currency(m: re.Match[str]) -> str | None:
    names = m.re.groupindex
    for group in ("sym", "cur", "cur2"):
        if group in names and m.group(group):
            return _CURRENCIES.get(m.group(group).lower())
    return None


def _after_name(m: re.Match[str]) -> bool:
    """ "Nova 8", "iPhone 15": a number right after a Latin word is part of a name."""
    return bool(re.search(r"[a-z]\s?$", m.string[: m.start("n")]))


def parse_budget(text: str, *, bare: bool = True) -> tuple[float | None, float | None, str | None]:
    """(min, max, currency) of the budget a Chinese message states; None where none.

    ``bare=False`` ignores an amount with only a currency after it ("两千块的手机"),
    which is a budget in a shopping request but not an earlier statement of one.
    """
    text = _normal(text)
    for m in _RANGE.finditer(text):
        a, b = parse_zh_number(m["a"]), parse_zh_number(m["b"])
        if a is None or b is None or (_NOT_MONEY_AFTER.match(text, m.end("b")) and not m["cur2"]):
            continue
        if min(a, b) < 10 and not (m["cur"] or m["cur2"] or m["sym"]):
            continue
        currency = _CURRENCIES.get((m["cur"] or m["cur2"] or m["sym"] or "").lower())
        return min(a, b), max(a, b), currency
    low = high = None
    currency = None
    for pattern in (_MAX_1, _MAX_2):
        for m in pattern.finditer(text):
            value = _value(m)
            if value is None or (_after_name(m) and not _money_after(m)):
                continue
            high = value if high is None else min(high, value)
            currency = currency or _currency(m)
    for pattern in (_MIN_1, _MIN_2):
        for m in pattern.finditer(text):
            value = _value(m)
            if value is None or _after_name(m):
                continue
            if high is not None and value >= high:
                continue  # "最多不超过" read twice, not a minimum
            low = value if low is None else max(low, value)
            currency = currency or _currency(m)
    if high is None and low is None and bare:
        for m in _MONEY.finditer(text):
            if m["cur"] or m["sym"]:
                value = parse_zh_number(m["n"])
                if value is not None:
                    return None, value, _currency(m)
    return low, high, currency


def without_budget(text: str) -> str:
    """``text`` with its budget phrases taken out ("预算不多" stays: no amount)."""
    text = _normal(text)
    for pattern in (_RANGE, _MAX_1, _MAX_2, _MIN_1, _MIN_2):
        text = pattern.sub(" ", text)
    return text


def parse_category(text: str, categories: Iterable[str]) -> str | None:
    """The catalogue category a Chinese request names: the first product word that is
    not the customer's own device ("我的电视"), else a need ("音质")."""
    text = _normal(text)
    known = set(categories)
    wanted: list[tuple[int, str]] = []
    owned: list[tuple[int, str]] = []
    for category, words in CATEGORY_WORDS.items():
        if category not in known:
            continue
        for word in words:
            for m in re.finditer(re.escape(word), text):
                mine = _OWNED.search(text[: m.start()])
                (owned if mine else wanted).append((m.start(), category))
    if wanted:
        return min(wanted)[1]
    needs = [
        (text.find(word), category)
        for category, words in NEED_WORDS.items()
        if category in known
        for word in words
        if word in text
    ]
    if needs:
        return min(needs)[1]
    if owned:
        return "accessories" if "accessories" in known else min(owned)[1]
    return None


def parse_uses(text: str) -> tuple[str, ...]:
    text = _normal(text)
    return tuple(use for use, words in USE_WORDS.items() if any(w in text for w in words))


def parse_features(text: str) -> tuple[str, ...]:
    text = _normal(text)
    found = [name for name, words in FEATURE_WORDS.items() if any(w in text for w in words)]
    # "5G" after a number of gigabytes of memory is not the network
    if "5G" in found and not re.search(r"(?<![\d.])5g(?!b|流量)", text):
        found.remove("5G")
    return tuple(found)


def prefers_cheap(text: str) -> bool:
    return bool(_CHEAP.search(without_budget(text)))


def money(amount: float, currency: str = "GBP") -> str:
    symbol = {"GBP": "£", "EUR": "€", "USD": "$"}.get(currency)
    return f"{symbol}{amount:,.0f}" if symbol else f"{amount:,.0f} {currency}"


def headline(
    *,
    category: str | None,
    uses: Iterable[str] = (),
    features: Iterable[str] = (),
    min_price: float | None = None,
    max_price: float | None = None,
    currency: str = "GBP",
) -> str:
    """ "£1,000 以下的游戏笔记本电脑": the request, to say honestly that nothing fits."""
    what = CATEGORY_NAMES.get(category or "", category or "商品")
    uses_words = "、".join(USE_NAMES.get(u, u) for u in uses)
    features_words = "、".join(FEATURE_NAMES.get(f, f) for f in features)
    if features_words:
        what = f"带{features_words}的{what}"
    if uses_words:
        what = f"适合{uses_words}的{what}"
    price = price_words(min_price, max_price, currency)
    return f"{price}的{what}" if price else what


def price_words(min_price: float | None, max_price: float | None, currency: str = "GBP") -> str:
    """ "£1,000 以下", "£500 到 £800 之间"; empty without a budget."""
    if min_price is not None and max_price is not None:
        return f"{money(min_price, currency)} 到 {money(max_price, currency)} 之间"
    if max_price is not None:
        return f"{money(max_price, currency)} 以下"
    if min_price is not None:
        return f"{money(min_price, currency)} 以上"
    return ""


class Request(Protocol):
    """What a request rules out (:class:`generators.constraints.Constraints` is one)."""

    @property
    def max_price(self) -> float | None: ...
    @property
    def min_price(self) -> float | None: ...
    @property
    def uses(self) -> tuple[str, ...]: ...
    @property
    def features(self) -> tuple[str, ...]: ...


def misses(c: Request, *, price: float, text: str, currency: str = "GBP") -> list[str]:
    """How a product falls outside a request, in Chinese; empty when it fits."""
    from generators.constraints import evidence  # that module imports this one

    max_price, min_price, uses, features = c.max_price, c.min_price, c.uses, c.features
    out = []
    if max_price is not None and price > max_price:
        out.append(
            f"超出您 {money(max_price, currency)} 的预算 {money(price - max_price, currency)}"
        )
    if min_price is not None and price < min_price:
        out.append(f"低于您 {money(min_price, currency)} 的最低价")
    out += [f"不是为{USE_NAMES.get(u, u)}设计的" for u in uses if not evidence(u, text)]
    out += [f"没有{FEATURE_NAMES.get(f, f)}" for f in features if not evidence(f, text)]
    return out


def reason(
    c: Request, *, price: float, text: str, currency: str = "GBP", text_zh: str | None = None
) -> str:
    """One line citing the product's own attributes that answer the request, in Chinese.

    Whether an attribute answers is read from the English ``text``; the quotes are
    the clauses of the Chinese description ``text_zh`` that say it
    (:func:`evidence_zh`), else the English words as the catalogue writes them.
    """
    from generators.constraints import evidence  # that module imports this one

    parts = []
    uses, features = c.uses, c.features
    for use in uses:
        found = evidence_zh(use, evidence(use, text), text_zh)
        if found:
            parts.append(f"适合{USE_NAMES.get(use, use)}（{'、'.join(found[:2])}）")
    for feature in features:
        found = evidence_zh(feature, evidence(feature, text), text_zh)
        if found:
            parts.append(f"{FEATURE_NAMES.get(feature, feature)}（{found[0]}）")
    missed = misses(c, price=price, text=text, currency=currency)
    head = money(price, currency)
    if missed:
        head += "，" + "；".join(missed)
    elif c.max_price is not None:
        head += f"，在您 {money(c.max_price, currency)} 的预算内"
    return f"{head}：{'；'.join(parts)}" if parts else head
