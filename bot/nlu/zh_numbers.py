# ruff: noqa: RUF001  (Chinese numerals, on purpose)
"""Chinese numbers as customers type them: "两千五", "一百五十", "3千", "1.5万", "二十".

Written Chinese mixes numeral characters, Arabic digits and the unit characters
十 百 千 万 亿 freely, and speech drops the last unit ("两千五" is 2,500, "一百五"
is 150, "三万五" is 35,000). :func:`parse_zh_number` reads all of these;
:data:`ZH_NUMBER` is the pattern of such a number inside a sentence, which has
no spaces to tell where a number ends. Standard library only.
"""

from __future__ import annotations

import re
import unicodedata

_DIGITS = {
    "零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "俩": 2, "三": 3, "四": 4, "五": 5,
    "六": 6, "七": 7, "八": 8, "九": 9,
    # the "capital" forms of receipts and contracts
    "壹": 1, "贰": 2, "叁": 3, "肆": 4, "伍": 5, "陆": 6, "柒": 7, "捌": 8, "玖": 9,
}  # fmt: skip
_SMALL_UNITS = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
_BIG_UNITS = {"万": 10_000, "萬": 10_000, "亿": 100_000_000}

_NUMERAL = "零〇一二两俩三四五六七八九壹贰叁肆伍陆柒捌玖"
_UNIT = "十拾百佰千仟万萬亿"
ZH_NUMBER = (
    rf"(?:\d+(?:\.\d+)?|[{_NUMERAL}十拾])"
    rf"(?:\d+(?:\.\d+)?|[{_NUMERAL}{_UNIT}])*"
)
"""A number in Chinese text: it starts with a digit, a numeral or 十 ("十五" is 15)."""

_TOKEN = re.compile(rf"\d+(?:\.\d+)?|[{_NUMERAL}{_UNIT}]")


def parse_zh_number(text: str) -> float | None:
    """ "两千五" → 2500, "一千零五" → 1005, "3千" → 3000, "1.5万" → 15000; None if not one."""
    cleaned = unicodedata.normalize("NFKC", text.strip()).replace(",", "")
    if not cleaned:
        return None
    try:
        return float(cleaned)
    except ValueError:
        pass
    tokens = _TOKEN.findall(cleaned)
    if "".join(tokens) != cleaned or (tokens[0] not in ("十", "拾") and tokens[0] in _UNIT):
        return None
    total = 0.0  # the parts already multiplied by 万 or 亿
    section = 0.0  # below the next 万 or 亿
    current: float | None = None  # a digit waiting for its unit
    last_unit = 0  # the unit just before the waiting digit, for "两千五"
    after_zero = False
    digits_in_a_row = 0
    numerals_in_a_row = 0  # numeral characters (not Arabic digits) since the last unit
    for token in tokens:
        if token in _DIGITS or token[0].isdigit():
            if token not in ("零", "〇"):  # "一千零五十": the zero only holds a place
                numerals_in_a_row = numerals_in_a_row + 1 if token in _DIGITS else 0
            value = float(_DIGITS[token]) if token in _DIGITS else float(token)
            if token in ("零", "〇") and current is None and last_unit:
                after_zero = True
                continue
            digits_in_a_row += 1
            # "一九九八": digits read one by one, as in years and model numbers
            current = value if current is None else current * 10 + value
        elif numerals_in_a_row > 1:
            return None  # "四五千", "三四百": about 4,000 to 5,000, a range, not 45,000
        elif token in _SMALL_UNITS:
            unit = _SMALL_UNITS[token]
            section += (1 if current is None else current) * unit
            current, last_unit, after_zero, digits_in_a_row = None, unit, False, 0
            numerals_in_a_row = 0
        else:
            big = _BIG_UNITS[token]
            section += current or 0
            if section == 0 and not total:
                return None
            if total > big:  # "一亿两千万": 万 scales only what follows 亿
                total += section * big
            else:
                total = (total + section) * big
            section, current, last_unit, after_zero, digits_in_a_row = 0, None, big, False, 0
            numerals_in_a_row = 0
    if (digits_in_a_row > 1 and last_unit) or (len(tokens) == 2 and digits_in_a_row == 2):
        return None  # "两千五六", "三四", "一两": a range, not one number
    if current is not None:
        # "两千五" is 2,500: a last digit right after a unit counts in the next unit down
        section += current * (last_unit // 10) if last_unit >= 100 and not after_zero else current
    return total + section
