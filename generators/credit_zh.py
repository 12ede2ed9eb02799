# ruff: noqa: RUF001  (Chinese text, on purpose)
"""The credit pre-check's own words in Chinese: its reasons and its disclaimer.

:meth:`generators.credit.Scorecard.score` words each reason from the
applicant's own answer ("3 years at your current job"); with
``language="zh"`` it uses :func:`describe` here instead, so the card and
the text above it speak the customer's language. The scores, the decision
and the feature codes do not change with the language.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from generators.credit import CreditApplication

DISCLAIMER = (
    "这只是参考性的信用预审，并非信贷决定。贷款方在提供分期之前会进行全面评估，"
    "包括查询信用参考机构的记录。"
)
_PURPOSE = {
    "electronics": "电子产品",
    "appliances": "家用电器",
    "furniture": "家具或设备",
    "car_new": "新车",
    "car_used": "二手车",
    "repairs": "维修",
    "education": "教育",
    "business": "生意",
    "other": "其他用途",
}
_HISTORY = {
    "none_or_all_paid": "从未借过款，或已还清所有借款",
    "paid_on_time": "现有借款到目前为止都按时还款",
    "past_delays": "过去曾有借款逾期还款",
    "critical": "您在别处还有其他借款",
}
_HOUSING = {"own": "自有住房", "rent": "租房居住", "free": "免租金居住"}
_OTHER = {
    "none": "没有其他分期计划",
    "bank": "在银行还有另一笔分期",
    "stores": "在商店还有另一笔分期",
}
_RATE = {
    1: "还款额低于月收入的 20%",
    2: "还款额占月收入的 20-25%",
    3: "还款额占月收入的 25-35%",
    4: "还款额占月收入的 35% 或以上",
}
_LABELS = {
    "status_of_existing_checking_account": "您活期账户的余额",
    "duration_in_month": "还款期限的长短",
    "credit_history": "您的信用记录",
    "purpose": "借款用途",
    "credit_amount": "您想借的金额",
    "savings_account_and_bonds": "您的存款金额",
    "present_employment_since": "您在目前工作岗位的时间",
    "installment_rate_in_percentage_of_disposable_income": "还款额占您收入的比例",
    "housing": "您的住房情况",
    "other_installment_plans": "您正在支付的其他分期计划",
}


def _years(value: float) -> str:
    return f"{round(value * 12)} 个月" if value < 1 else f"{value:g} 年"


def describe(column: str, app: CreditApplication) -> str:
    """A reason worded from the applicant's own answer, in Chinese ("在目前的工作岗位 3 年")."""
    from generators.credit import to_record

    if column == "status_of_existing_checking_account":
        if not app.has_checking_account:
            return "没有活期账户"
        return f"活期账户余额 £{app.checking_balance:,.0f}"
    if column == "duration_in_month":
        return f"还款期限 {app.duration_months} 个月"
    if column == "credit_history":
        return _HISTORY[app.credit_history or ""]
    if column == "purpose":
        return f"借款用于{_PURPOSE[app.purpose or '']}"
    if column == "credit_amount":
        return f"借款 £{app.credit_amount:,.0f}"
    if column == "savings_account_and_bonds":
        return f"存款 £{app.savings_balance:,.0f}"
    if column == "present_employment_since":
        if app.employment_years == 0:
            return "目前没有工作"
        return f"在目前的工作岗位 {_years(app.employment_years or 0)}"
    if column == "installment_rate_in_percentage_of_disposable_income":
        return _RATE[to_record(app)[column]]
    if column == "housing":
        return _HOUSING[app.housing or ""]
    if column == "other_installment_plans":
        return _OTHER[app.other_installments or ""]
    return _LABELS[column]
