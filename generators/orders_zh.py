# ruff: noqa: RUF001, RUF002  (Chinese text, on purpose)
"""An order's status in Chinese: :func:`generators.orders.describe` for a customer who writes it.

The same facts in the same order as the English reply: the status, the dates,
the carrier and tracking number, and what to do next. An item the catalogue
sells is named as the catalogue names it in Chinese (``translations``); other
items, the carrier and the store are the order system's own words and stay as
they are.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from generators.orders import Order

_WEEKDAYS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")


def day_zh(date: dt.date) -> str:
    """ "6月3日（周二）" """
    return f"{date.month}月{date.day}日（{_WEEKDAYS[date.weekday()]}）"


def items_zh(items: str, names: Mapping[str, str]) -> str:
    """The order's items ("AeroBook 14, AeroBook Sleeve 14") with each one the catalogue
    names in Chinese so named (``names``: English name, case-folded → Chinese name),
    joined with "、"; an item it doesn't name stays as written."""
    parts = [part.strip() for part in items.split(",") if part.strip()]
    if not parts:
        return items
    return "、".join(names.get(part.casefold(), part) for part in parts)


def describe_zh(order: Order, today: dt.date, names: Mapping[str, str] | None = None) -> str:
    """One reply about a verified order, in Chinese; ``names`` as in :func:`items_zh`."""
    head = f"您的订单 {order.order_number}（{items_zh(order.items, names or {})}）"
    late = order.days_late(today)
    tracked = bool(order.carrier and order.tracking_number)
    tracking = f"承运商是 {order.carrier}，运单号 {order.tracking_number}。" if tracked else ""
    if order.status == "delivered":
        when = f"已于{day_zh(order.delivered_on)}送达。" if order.delivered_on else "已送达。"
        carried = f"由 {order.carrier} 配送，运单号 {order.tracking_number}。" if tracked else ""
        return (
            f"{head}{when}{carried}如果没有看到包裹，请问问邻居或查看您指定的安全存放处；"
            "如果仍然找不到，同事可以帮您提出索赔。"
        )
    if order.status == "cancelled":
        return f"{head}已取消。已付款项会在 5 个工作日内退还。"
    if order.status == "ready_for_collection":
        store = order.collect_store or "您选择的门店"
        return (
            f"{head}已可以在 {store} 取货。请带上订单确认邮件和带照片的身份证件；"
            "我们会为您保留 7 天。"
        )
    if late:
        promised = day_zh(order.promised_by) if order.promised_by else "之前"
        return f"{head}本应在{promised}前送达，现在已经晚了 {late} 天，非常抱歉。{tracking}"
    expected = f"预计{day_zh(order.promised_by)}前送达。" if order.promised_by else ""
    if order.status == "shipped":
        return f"{head}正在配送途中。{tracking}{expected}"
    if order.status == "delayed":
        return f"{head}延误了，非常抱歉。{tracking}{expected}"
    return f"{head}正在我们的仓库备货。{expected}发货后，您会通过电子邮件收到物流跟踪链接。"
