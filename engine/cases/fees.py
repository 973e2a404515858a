"""Information processing fees (国办函〔2020〕109号, 条例第四十二条). Pure.

The bands are defined once, here: the amount (fee_amount), the breakdown a fee notice prints
(breakdown) and the standard it states (standard_text) all come from them."""
from __future__ import annotations

from typing import NamedTuple

from ...errors import InputError


class Band(NamedTuple):
    first: int          # first page / application of the band
    last: int | None    # last one; None: no upper end
    price: int          # 元 per page / per application


# 按量 (marginal): 1-30 free; 31-100: 10 元/page; 101-200: 20 元/page; 201+: 40 元/page.
PAGE_BANDS = (Band(1, 30, 0), Band(31, 100, 10), Band(101, 200, 20), Band(201, None, 40))
# 按件, per applicant per calendar month: 1-10 free; 11-30: 100 元 each; from 31 on each band of
# 10 costs 100 元 more than the band before (31-40: 200, 41-50: 300, ...).
APPLICATION_BANDS = (Band(1, 10, 0), Band(11, 30, 100))
APPLICATION_STEP, APPLICATION_STEP_PRICE = 10, 100
ONE_BASIS = "收费方式只能是 per_application（按件）或 per_page（按量），二者不得同时适用"


class FeeItem(NamedTuple):
    """One line of a fee's computation: `count` pages (applications) of the band first..last at
    `price` 元 each. `last` is the last one actually counted (150 for 150 pages in 101-200)."""
    first: int
    last: int
    count: int
    price: int

    @property
    def subtotal(self) -> int:
        return self.count * self.price


def application_band(nth_this_month: int) -> Band:
    """The band of the applicant's n-th application this calendar month."""
    for band in APPLICATION_BANDS:
        if nth_this_month <= band.last:
            return band
    k = (nth_this_month - APPLICATION_BANDS[-1].last - 1) // APPLICATION_STEP
    first = APPLICATION_BANDS[-1].last + 1 + k * APPLICATION_STEP
    return Band(first, first + APPLICATION_STEP - 1, APPLICATION_BANDS[-1].price + APPLICATION_STEP_PRICE * (k + 1))


def page_items(pages: int) -> list[FeeItem]:
    """按量: the pages of each band the request reaches (marginal, band by band)."""
    out = []
    for band in PAGE_BANDS:
        if pages < band.first:
            break
        last = pages if band.last is None else min(pages, band.last)
        out.append(FeeItem(band.first, last, last - band.first + 1, band.price))
    return out


def per_application_fee(nth_this_month: int) -> int:
    """按件: the applicant's n-th application this calendar month: 1-10 free; 11-30: 100 元;
    from 31 on each band of 10 costs 100 元 more than the band before (31-40: 200, 41-50: 300)."""
    return application_band(nth_this_month).price


def per_page_fee(pages: int) -> int:
    """按量 (marginal): 1-30 free; 31-100: 10 元/page; 101-200: 20 元/page; 201+: 40 元/page."""
    return sum(item.subtotal for item in page_items(pages))


def breakdown(basis: str, quantity: int) -> tuple[FeeItem, ...]:
    """How the amount is computed, line by line (the lines add up to fee_amount's amount)."""
    if basis == "per_application":
        band = application_band(quantity)
        return (FeeItem(band.first, band.last, 1, band.price),)
    if basis == "per_page":
        return tuple(page_items(quantity))
    raise InputError(ONE_BASIS)


def _range(band: Band, unit: str) -> str:
    return f"{band.first}{unit}以上" if band.last is None else f"{band.first}—{band.last}{unit}"


def standard_text(basis: str) -> str:
    """The 国办函〔2020〕109号 standard of one basis, with its bands and unit prices, as a fee
    notice states it."""
    if basis == "per_page":
        parts = [f"{_range(b, '页')}的部分，" + (f"{b.price}元/页" if b.price else "免费") for b in PAGE_BANDS]
        return "按量计收，同一申请按页数分段累加计算：" + "；".join(parts) + "。"
    if basis == "per_application":
        free, first_paid = APPLICATION_BANDS
        nxt = application_band(first_paid.last + 1)
        after = application_band(nxt.last + 1)
        return (f"按件计收，按同一申请人一个自然月内累计提出的申请件数计算：{_range(free, '件')}的，免费；"
                f"{_range(first_paid, '件')}的，{first_paid.price}元/件；自第{nxt.first}件起，以{APPLICATION_STEP}件为一档，"
                f"每增加一档，收费标准提高{APPLICATION_STEP_PRICE}元/件（{_range(nxt, '件')}{nxt.price}元/件，"
                f"{_range(after, '件')}{after.price}元/件，依此类推）。")
    raise InputError(ONE_BASIS)


def fee_amount(basis: str, quantity: int) -> tuple[int, str]:
    """Amount in 元 and the standard applied (one basis per application, never both)."""
    if basis == "per_application":
        return per_application_fee(quantity), f"按件计收：本月第 {quantity} 件申请"
    if basis == "per_page":
        return per_page_fee(quantity), f"按量计收：共 {quantity} 页"
    raise InputError(ONE_BASIS)
