"""Information processing fees (国办函〔2020〕109号, 条例第四十二条). Pure."""
from __future__ import annotations

from ...errors import InputError


def per_application_fee(nth_this_month: int) -> int:
    """按件: the applicant's n-th application this calendar month: 1-10 free; 11-30: 100 元;
    from 31 on each band of 10 costs 100 元 more than the band before (31-40: 200, 41-50: 300)."""
    if nth_this_month <= 10:
        return 0
    if nth_this_month <= 30:
        return 100
    return 100 + 100 * ((nth_this_month - 31) // 10 + 1)


def per_page_fee(pages: int) -> int:
    """按量 (marginal): 1-30 free; 31-100: 10 元/page; 101-200: 20 元/page; 201+: 40 元/page."""
    bands = ((30, 0), (100, 10), (200, 20), (None, 40))
    total, lower = 0, 0
    for upper, price in bands:
        top = pages if upper is None else min(pages, upper)
        if top > lower:
            total += (top - lower) * price
        if upper is None or pages <= upper:
            break
        lower = upper
    return total


def fee_amount(basis: str, quantity: int) -> tuple[int, str]:
    """Amount in 元 and the standard applied (one basis per application, never both)."""
    if basis == "per_application":
        return per_application_fee(quantity), f"按件计收：本月第 {quantity} 件申请"
    if basis == "per_page":
        return per_page_fee(quantity), f"按量计收：共 {quantity} 页"
    raise InputError("收费方式只能是 per_application（按件）或 per_page（按量），二者不得同时适用")
