# ruff: noqa: RUF001, RUF002  (Chinese punctuation and numerals, on purpose)
"""Chinese form answers in the words the form parsers read.

The forms' parsers (:mod:`bot.sdk.forms`) read numbers, units, periods and a
few answer words ("unlimited", "I don't know", "none") in English. A Chinese
answer is rewritten into those words before it is parsed, so every slot's
parser, range check, unit check and correction rule works for it unchanged:
"大概10个G" → "10 GB", "每月一百分钟" → "100 minutes a month", "预算两千块" →
"budget 2000 pounds", "不限" → "unlimited", "改成20G" → "actually make it 20 GB".
An assistant's choice words stay its own (Chinese words in a
:func:`bot.sdk.forms.choice_parser`'s options match inside a sentence).

Pure functions over strings, standard library only; the Chinese numbers are
:mod:`bot.nlu.zh_numbers`, which the engine's value parsers use too.
"""

from __future__ import annotations

import calendar
import re
import unicodedata

from bot.nlu.zh_numbers import ZH_NUMBER, parse_zh_number

_HAN = re.compile(r"[\u4e00-\u9fff]")

_EXIT = re.compile(
    r"^(?:好吧|那|哎|唉|嗯|还是|我)?[，,\s]*"
    r"(?:算了|不要了|不用了|不需要了|不弄了|不做了|不办了|不想(?:弄|做|办|要|继续|填)了?|"
    r"取消(?:吧|了|掉)?|退出|别问了|不问了|停(?:下|一下)?|结束(?:吧)?|先这样(?:吧)?|"
    r"我不(?:想|要)(?:弄|做|继续)了?)"
    r"(?:[，,\s]*(?:吧|啦|了|呢|啊|谢谢|谢了|不用了|算了|不要了))*[。！!.~～\s]*$"
)
_QUESTION_END = re.compile(r"(?:吗|么|呢|嘛)[？?。！!]*$|[？?]\s*$")
_QUESTION_START = re.compile(r"^(?:请问|为什么|怎么|什么|哪|多少钱|能不能|可不可以|是不是|有没有)")

# Phrases whose meaning the English parsers know, longest first where they overlap.
_PHRASES: tuple[tuple[str, str], ...] = (
    (
        r"不知道|不清楚|不太清楚|不确定|说不准|说不好|不好说|没概念|不记得了?|跳过|不想说",
        " don't know ",
    ),
    (r"不限量?|无限量?|无限制|随便用|用不完|没有上限|不封顶", " unlimited "),
    (
        r"改成|改为|换成|改一下|应该是|其实是|我是说|我的意思是|说错了?|更正(?:一下)?|"
        r"不对|打错了?",
        " actually make it ",
    ),
    (r"没有?(?:活期|银行)?(?:账户|账号|户头)", " no account "),
    (r"没(?:有)?(?:工作|上班)|失业|待业|没在工作|不工作", " not working "),
    (r"透支", " overdrawn "),
    (r"流量", " data "),
    (r"通话|打电话", " calls "),
    (r"预算", " budget "),
    (r"漫游", " roaming "),
    (r"出国|国外|境外", " abroad "),
    (r"月?收入|工资|月薪", " income "),
    (r"存款|积蓄", " savings "),
    (r"大概|大约|估计|差不多|左右|上下|最多|至少|不超过|以内|以下|之内|顶多", " "),
)
_PERIODS: tuple[tuple[str, str], ...] = (
    (r"每个?月|月均|一个月(?=.*[\d一二两三四五六七八九十百千万])", "month"),
    (r"每年|一年(?=收入|赚|挣)|年薪|年收入", "year"),
    (
        r"每(?:个)?(?:星期|礼拜|周)|一(?:个)?(?:星期|礼拜|周)(?=.*[\d一二两三四五六七八九十])",
        "week",
    ),
    (r"每天|每日", "day"),
)
# Whole answers that mean "none" or zero.
_NONE = re.compile(
    r"^(?:一(?:天|次|分钟|个)?都没有?|没有?|无|不用|从不|从来不|从来没有?|一次都没有|零|"
    r"基本(?:上)?不|几乎不|不)"
    r"(?:怎么)?(?:出国|漫游|打电话|打|用|去)?(?:的|啊|呢|吧|了|哦|过)*[。！!.\s]*$"
)
_NUMBER = re.compile(rf"(?<![A-Za-z0-9.])(?P<n>{ZH_NUMBER})")
# After a number: the unit it measures, in the parsers' words.
_UNITS: tuple[tuple[str, str], ...] = (
    (r"个?(?:gb|g)(?![a-z])|个?吉", " GB"),
    (r"个?(?:mb|m)(?![a-z])|兆", " MB"),
    (r"个?(?:tb|t)(?![a-z])", " TB"),
    (r"分钟|分(?![之钱])", " minutes"),
    (r"个?小时|个?钟头", " hours"),
    (r"天", " days"),
    (r"个?(?:星期|礼拜)|周", " weeks"),
    (r"个月", " months"),
    (r"年", " years"),
    (r"块钱?|元|英?镑|磅", " pounds"),
    (r"欧元?", " euros"),
    (r"美元|美金|刀", " dollars"),
)
# One numeral inside a word, not a number: "一点" (a little), "一直" (always), "三星".
_NOT_A_NUMBER_AFTER = "点些下直般起样定共切半会旦同星"


def is_chinese(text: str) -> bool:
    return bool(_HAN.search(text or ""))


def is_exit_zh(text: str) -> bool:
    """Whether the whole message asks to leave: "算了", "不要了", "取消吧，谢谢"."""
    return bool(_EXIT.match(unicodedata.normalize("NFKC", text).strip()))


def is_question_zh(text: str) -> bool:
    stripped = unicodedata.normalize("NFKC", text).strip()
    return bool(_QUESTION_END.search(stripped) or _QUESTION_START.match(stripped))


_ROUGHLY = re.compile(r"([一二两三四五六七八九])([二两三四五六七八九])([十百千万])")
"""Two neighbouring numerals before a unit, "三四千": about 3,000 to 4,000."""
_NUMERAL_VALUE = {c: i for i, c in enumerate("一二三四五六七八九", start=1)} | {"两": 2}


def _roughly(text: str) -> str:
    """ "三四千" → "3500" (the middle; the form says back what it took, so the customer
    can correct it); "两三次" stays, a count with no unit to scale."""

    def middle(m: re.Match[str]) -> str:
        a, b = _NUMERAL_VALUE[m[1]], _NUMERAL_VALUE[m[2]]
        if b != a + 1:
            return m.group()
        unit = {"十": 10, "百": 100, "千": 1000, "万": 10_000}[m[3]]
        return f" {(a + b) * unit / 2:g} "

    return _ROUGHLY.sub(middle, text)


def _numbers(text: str) -> str:
    text = _roughly(text)

    def replace(m: re.Match[str]) -> str:
        number = m["n"]
        after = text[m.end() : m.end() + 1]
        if len(number) == 1 and not number.isdigit():
            if after and after in _NOT_A_NUMBER_AFTER:
                return number
            if (
                number == "一"
                and after == "个"
                and not re.match(r"个(?:月|小时|钟头|星期|礼拜|g|吉)", text[m.end() :], re.I)
            ):
                return number
        value = parse_zh_number(number)
        if value is None:
            return number
        return f" {value:g} " if not value.is_integer() else f" {int(value)} "

    return _NUMBER.sub(replace, text)


def _dates(text: str) -> str:
    """ "2030年6月" → "June 2030"; "2030年" → "2030" (a year, not 2,030 years)."""

    def month_year(m: re.Match[str]) -> str:
        month = int(m[2])
        name = calendar.month_name[month] if 1 <= month <= 12 else ""
        return f" {name} {m[1]} "

    text = re.sub(r"(\d{4})\s*年\s*(\d{1,2})\s*月(?:份|底|初)?", month_year, text)
    return re.sub(r"(\d{4})\s*年(?:底|初)?", r" \1 ", text)


def english_answer(text: str) -> str:
    """``text`` rewritten for the English parsers when it is Chinese; else unchanged."""
    if not is_chinese(text):
        return text
    out = unicodedata.normalize("NFKC", text).strip()
    if _NONE.match(out):
        return "none"
    periods = []
    for pattern, period in _PERIODS:
        if re.search(pattern, out):
            periods.append(period)
            out = re.sub(pattern, " ", out)
    for pattern, words in _PHRASES:
        out = re.sub(pattern, words, out)
    out = _dates(_numbers(out))
    for pattern, unit in _UNITS:
        out = re.sub(rf"(\d)\s*(?:{pattern})", rf"\1{unit} ", out, flags=re.I)
    out = re.sub(r"(\d+) (years|months|hours|weeks)\s*半", r"\1.5 \2", out)
    out += "".join(f" a {period}" for period in periods if period != "month")
    out = re.sub(r"[，。！、；：,;!]+", " ", out)
    return re.sub(r"\s+", " ", out).strip()
