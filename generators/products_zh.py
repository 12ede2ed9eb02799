# ruff: noqa: RUF001, RUF002  (Chinese text, on purpose)
"""Product facts for a customer who writes Chinese: :mod:`generators.products` in Chinese.

The same catalogue, the same facts and the same order as the English replies
("Nova 8 多少钱？" → its price and variants; "有黑色的吗？" → its colours;
"市中心店有货吗？" → its stock there): which fact is asked is read from Chinese
cues (:func:`fact_kind_zh`), the product from its name as written (Latin
letters and digits, "nova8", or its Chinese name from the catalogue's
``translations``), and the reply quotes the catalogue's Chinese description.
A spec is stated in the catalogue's Chinese words for it (``translations: {zh:
{specs: ...}}`` in ``product_facts.yml``), else through the Chinese description.
A short question that names no product ("有货吗？") is about the product the
conversation is on.
"""

from __future__ import annotations

import re

from generators.followup import Context, Rewritten
from generators.products import (
    LOW_STOCK,
    FactKind,
    ProductCatalog,
    ProductFacts,
    _squash,
    money,
)

LANGUAGE = "zh"
SOURCE_TITLE = "产品目录"

COLOURS_ZH = {
    "black": "黑色",
    "white": "白色",
    "silver": "银色",
    "grey": "灰色",
    "gray": "灰色",
    "blue": "蓝色",
    "red": "红色",
    "green": "绿色",
    "pink": "粉色",
    "purple": "紫色",
    "lavender": "薰衣草紫",
    "orange": "橙色",
    "yellow": "黄色",
    "gold": "金色",
    "rose gold": "玫瑰金",
    "space grey": "深空灰",
    "navy": "海军蓝",
    "teal": "青色",
}
_COLOUR_WORDS = sorted(set(COLOURS_ZH.values()), key=len, reverse=True)
_PRICE = re.compile(
    r"多少钱|几多钱|多少镑|几镑|什么价|啥价|价格|价钱|价位|售价|报价|定价|贵不贵|贵吗|太贵|"
    r"便宜|怎么卖|卖多少|£"
)
_COLOUR = re.compile(
    r"颜色|什么色|哪些色|几种色|配色|色的|[黑白银灰蓝红绿粉紫橙黄]的|" + "|".join(_COLOUR_WORDS)
)
_STOCK = re.compile(
    r"有货|有没有货|有现货|现货|库存|缺货|没货|断货|卖完|售罄|到货|补货|能买到|买得到|"
    r"(?:店|门店|店里|商店)(?:里)?(?:有|还有|有没有)|有卖|还有吗|有没有卖"
)
_OVERVIEW = re.compile(r"介绍|详细|详情|怎么样|如何|是什么|有什么特点|特点|参数|配置")
SPEC_CUES_ZH: dict[str, tuple[str, ...]] = {
    "capacity": ("毫安", "mah"),
    "battery": ("电池", "续航", "待机", "用多久", "用多长", "撑多久"),
    "display": ("屏幕", "屏", "尺寸", "英寸", "寸", "显示"),
    "camera": ("摄像头", "像素", "拍照", "相机", "镜头"),
    "memory": ("运行内存", "ram", "内存"),
    "storage": ("存储", "储存", "硬盘", "ssd", "gb", "空间"),
    "weight": ("重量", "多重", "重不重", "几斤", "公斤", "轻不轻", "轻吗"),
    "graphics": ("显卡", "gpu"),
    "water resistance": ("防水", "防汗", "淋雨", "进水"),
    "noise cancelling": ("降噪",),
    "5G": ("5g",),
    "GPS": ("gps", "定位", "导航"),
}
STORES_ZH = {
    "downtown": ("市中心", "downtown"),
    "riverside": ("河滨", "河畔", "riverside"),
    "airport": ("机场", "airport"),
}
"""A store of ``product_facts.yml``'s stock, as Chinese customers name it."""
_STORE_NAMES = {"downtown": "Downtown", "riverside": "Riverside", "airport": "Airport"}
_REFERS_BACK = re.compile(r"它|这款|那款|这个|那个|这台|那台|这部|那部|同款")
SHORT_QUESTION = 12
"""Characters (punctuation and spaces aside) up to which a question naming no
product asks about the conversation's product ("有黑色的吗")."""


_HAN_CHAR = re.compile(r"[\u3400-\u9fff]")


def _compact(text: str) -> str:
    return re.sub(r"[\s\W_]+", "", text.lower())


def spec_key_zh(text: str) -> str | None:
    lowered = text.lower()
    for key, cues in SPEC_CUES_ZH.items():
        if any(cue in lowered for cue in cues):
            return key
    return None


def fact_kind_zh(text: str) -> FactKind | None:
    """Which catalogue fact a Chinese ``text`` asks for, or ``None`` (a knowledge question)."""
    if _COLOUR.search(text):
        return "colour"
    if _STOCK.search(text) or (_store_asked(text) and "有" in text):
        return "stock"  # "河畔那边还有 Vista 65 吗"
    if _PRICE.search(text):
        return "price"
    if spec_key_zh(text):
        return "spec"
    if _OVERVIEW.search(text):
        return "overview"
    return None


def asked_kinds_zh(text: str) -> list[FactKind]:
    """Every simple fact (price, colour, stock) a Chinese ``text`` asks for, in the
    order it asks them."""
    found: list[tuple[int, FactKind]] = []
    cues: tuple[tuple[FactKind, re.Pattern[str]], ...] = (
        ("price", _PRICE),
        ("colour", _COLOUR),
        ("stock", _STOCK),
    )
    for kind, cue in cues:
        if match := cue.search(text):
            found.append((match.start(), kind))
    return [kind for _, kind in sorted(found)]


def rewrite_zh(question: str, context: Context, catalog: ProductCatalog | None) -> Rewritten:
    """The product and the fact a Chinese ``question`` asks about (``query`` unchanged:
    the Chinese knowledge base reads it as written)."""
    kind = fact_kind_zh(_without_names(question, catalog))
    named = catalog.find(question) if catalog else None
    if named is not None:
        return Rewritten(question, named, kind)
    in_context = (
        catalog.products.get(context.product_id) if catalog and context.product_id else None
    )
    if in_context is not None and (
        _REFERS_BACK.search(question)
        or (
            kind is not None
            and len(_compact(question)) <= SHORT_QUESTION
            and not _other_subject(question)
        )
    ):
        return Rewritten(question, in_context, kind, followup=True)
    return Rewritten(question, None, kind)


_FILLERS = set("吗呢的了吧啊呀嘛有没还那这是请问一下个款种多少么什么怎样我想要你们和也都可以能会")


def _other_subject(question: str) -> bool:
    """Whether words beyond the fact's cues and fillers name something else: "运费多少钱"
    asks the price of delivery, not of the product the conversation is on."""
    rest = question.lower()
    spec_cues = [c for cues in (*SPEC_CUES_ZH.values(), *STORES_ZH.values()) for c in cues]
    spec_cues += ["门店", "商店", "店里", "店"]
    patterns = [_PRICE, _COLOUR, _STOCK, _OVERVIEW, *(re.compile(re.escape(c)) for c in spec_cues)]
    for cue in patterns:
        rest = cue.sub(" ", rest)
    words = [c for c in rest if _HAN_CHAR.match(c) and c not in _FILLERS]
    return len(words) >= 2


def _without_names(question: str, catalog: ProductCatalog | None) -> str:
    """``question`` without the product names it holds: "Pulse ANC 降噪耳机" names the
    product, it does not ask about noise cancelling... unless other words do."""
    if catalog is None:
        return question
    text = question
    for product in catalog.find_all(question):
        for name in product.names():
            text = re.sub(re.escape(name), " ", text, flags=re.I)
    return text


def _join(items: list[str]) -> str:
    """ "A、B 和 C" (:func:`tidy` drops the spaces between Chinese words)."""
    return items[0] if len(items) == 1 else f"{'、'.join(items[:-1])} 和 {items[-1]}"


def colour_zh(colour: str) -> str:
    return COLOURS_ZH.get(colour.lower(), colour)


def answer_zh(catalog: ProductCatalog, product: ProductFacts, kind: FactKind, question: str) -> str:
    """:meth:`ProductCatalog.answer` in Chinese: ``kind`` first, then the other simple
    facts the question also asks ("多少钱，有货吗？")."""
    facts = {
        "price": _price,
        "colour": _colour,
        "stock": lambda p, q: _stock(p, q, catalog.business),
        "spec": _spec,
        "overview": _overview,
    }
    asked = asked_kinds_zh(question)
    order = asked if kind in asked else [kind, *asked]
    texts: list[str] = []
    for each in order:
        if each == "price" and any(money(product.price) in t for t in texts):
            continue
        texts.append(facts[each](product, question))
    return tidy("".join(texts))


_BETWEEN_HAN = re.compile(
    r"(?<=[\u3400-\u9fff，。；：、（）！？]) (?=[\u3400-\u9fff，。；：、（）！？])"
)


def tidy(text: str) -> str:
    """No space between two Chinese characters: names are spaced where they are Latin
    ("Nova 8 售价"), not where the catalogue names them in Chinese ("无线充电板售价")."""
    return _BETWEEN_HAN.sub("", text)


def citation_zh(product: ProductFacts) -> str:
    """ "产品目录：Nova 8" (:attr:`ProductFacts.citation` in Chinese)."""
    return f"{SOURCE_TITLE}：{product.name_in(LANGUAGE)}"


def price_difference_zh(first: ProductFacts, second: ProductFacts) -> str:
    """ "Nova 8 Mini 比 Nova 8 便宜 £50。" (list prices)."""
    a, b = first.name_in(LANGUAGE), second.name_in(LANGUAGE)
    if first.price == second.price:
        return tidy(f"{a} 和 {b} 价格相同。")
    cheap, dear = sorted((first, second), key=lambda p: p.price)
    return tidy(
        f"{cheap.name_in(LANGUAGE)} 比 {dear.name_in(LANGUAGE)} "
        f"便宜 {money(dear.price - cheap.price)}。"
    )


def _price(p: ProductFacts, question: str) -> str:
    name = p.name_in(LANGUAGE)
    if p.variants:
        asked = [v for v in p.variants if _squash(v) and _squash(v) in _squash(question)]
        if len(asked) == 1:
            return f"{asked[0]} 的 {name} 售价 {money(p.variants[asked[0]])}。"
        options = [f"{v} {money(price)}" for v, price in p.variants.items()]
        return f"{name} 有 {len(options)} 个版本：{'，'.join(options)}。"
    return f"{name} 售价 {money(p.price)}。"


def _colour(p: ProductFacts, question: str) -> str:
    name = p.name_in(LANGUAGE)
    if not p.colours:
        return f"抱歉，我这里没有 {name} 的颜色信息；它的售价是 {money(p.price)}。"
    colours = [colour_zh(c) for c in p.colours]
    asked = [c for c in sorted(colours, key=len, reverse=True) if _asks_colour(c, question)]
    wanted = [c for c in _COLOUR_WORDS if _asks_colour(c, question) and c not in colours]
    if asked:
        others = [c for c in colours if c != asked[0]]
        rest = f"另外还有{_join(others)}。" if others else ""
        return f"有的，{name} 有{asked[0]}。{rest}"
    if wanted:
        return f"抱歉，{name} 没有{wanted[0]}，它有{_join(colours)}。"
    return f"{name} 有{_join(colours)}可选。"


def _asks_colour(colour: str, question: str) -> bool:
    """ "黑色" asked as "黑色" or "黑的"."""
    if colour in question:
        return True
    stem = colour.removesuffix("色")
    return stem != colour and f"{stem}的" in question


def _store_asked(question: str) -> str | None:
    lowered = question.lower()
    return next((s for s, cues in STORES_ZH.items() if any(c in lowered for c in cues)), None)


def _store_name(store: str, business: str | None) -> str:
    name = _STORE_NAMES.get(store, store)
    return f"{business} {name} 店" if business else f"{name} 店"


def _stock(p: ProductFacts, question: str, business: str | None) -> str:
    name = p.name_in(LANGUAGE)
    if not p.stock:
        return f"抱歉，我现在看不到 {name} 的库存。"
    online = p.stock.get("online", 0) > 0
    store = _store_asked(question)
    if store is not None:
        units = p.stock.get(store, 0)
        where = _store_name(store, business)
        if units <= 0:
            elsewhere = [_STORE_NAMES[s] for s in _STORE_NAMES if p.stock.get(s, 0) > 0]
            alt = f"{_join(elsewhere)} 店有货" if elsewhere else ""
            alt += ("，网上也有货" if alt else "网上有货") if online else ""
            return f"{where}目前没有 {name} 的现货" + (f"；{alt}。" if alt else "。")
        few = "（只剩几件了）" if units <= LOW_STOCK else ""
        return f"有的，{where}有 {name} 的现货{few}。"
    stores = [_STORE_NAMES[s] for s in _STORE_NAMES if p.stock.get(s, 0) > 0]
    if not online and not stores:
        when = f"预计补货时间：{p.restock_in(LANGUAGE)}。" if p.restock else ""
        return f"{name} 目前网上和门店都缺货。{when}"
    places = (["网上"] if online else []) + ([f"我们的 {_join(stores)} 店"] if stores else [])
    missing = [_STORE_NAMES[s] for s in _STORE_NAMES if p.stock.get(s, 0) <= 0]
    note = f"（{_join(missing)} 店暂时没有）" if missing and stores else ""
    online_note = "" if online else "网上暂时缺货。"
    return f"{name} 目前在{'和'.join(places)}有货{note}。{online_note}"


SPEC_SENTENCES_ZH = {
    "battery": "{name} 的续航是{value}。",
    "display": "{name} 配备 {value}。",
    "camera": "{name} 的摄像头是{value}。",
    "storage": "{name} 的存储是 {value}。",
    "memory": "{name} 的内存是 {value}。",
    "weight": "{name} 重 {value}。",
    "graphics": "{name} 配{value}。",
    "water resistance": "{name} {value}。",
    "noise cancelling": "{name} 有{value}。",
    "5G": "是的，{name} 支持 5G。",
    "GPS": "是的，{name} 带 GPS。",
    "capacity": "{name} 的容量是 {value}。",
}
"""How a spec is said (the English ones are ``generators.products._SPEC_SENTENCES``)."""


def _spec(p: ProductFacts, question: str) -> str:
    """The spec asked in the catalogue's Chinese words; else the Chinese description."""
    key = spec_key_zh(question)
    if key == "memory" and "memory" not in p.specs:
        key = "storage"  # "内存" is also what phones' storage is called
    value = p.spec_in(LANGUAGE, key) if key and key in p.specs else None
    if key is None or value is None:
        return _overview(p, question, colours=False)
    fact = SPEC_SENTENCES_ZH[key].format(name=p.name_in(LANGUAGE), value=value)
    return f"{fact}售价 {money(p.price)}。"


def _overview(p: ProductFacts, question: str, *, colours: bool = True) -> str:
    name = p.name_in(LANGUAGE)
    description = p.description_in(LANGUAGE).rstrip("。.")
    more = f"有{_join([colour_zh(c) for c in p.colours])}可选。" if colours and p.colours else ""
    return f"{name}：{description}。售价 {money(p.price)}。{more}"
