"""Letters as a reader sees them when produced through the CLI (`ogi case ...`): the PDF the step
rendered, read back as text. The golden tests hand templates ready-made fields (letters/samples.py);
these drive real cases, so the fields come from the case history (engine/cases/documents.py).

Issue 13: the extension notice names the due date before and after the extension; the fee notice
states the standard, the computation, the amount without a thousands comma, the payment period,
whether the answer period is suspended (config) and the remedy; the 第三十五条 delay makes a
letter of its own; the 送达回证 has its own 文号 series and names the applicant and the person
who signed for them; every "X日前" says that day X is included."""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

if not shutil.which("pdftotext"):
    pytest.skip("poppler-utils (pdftotext) is not installed", allow_module_level=True)

HEAD = "wang"  # head of the disclosure office and reviewer in the default config


def pdf_text(path: str | Path) -> str:
    """The letter's text without the page numbers and without any white space (PDF text wraps
    lines wherever the line is full)."""
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    lines = [line for line in out.replace("\f", "\n").splitlines() if not re.fullmatch(r"\s*— \d+ —\s*", line)]
    return "".join("".join(lines).split())


def letters_of(ogi, case) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for row in ogi.json("letter", "list", str(case)):
        assert row["status"] == "rendered", row
        out.setdefault(row["kind"], []).append(row)
    return out


def text_of(ogi, case, kind: str, index: int = -1) -> str:
    return pdf_text(letters_of(ogi, case)[kind][index]["path"])


def register(ogi, received: str = "2026-09-24", name: str = "张三") -> str:
    return str(ogi.register(received, name)["id"])


def accepted(ogi, received: str = "2026-09-24", name: str = "张三") -> str:
    case = register(ogi, received, name)
    ogi.ok("case", "accept", case, "--date", "2026-09-25")
    return case


def set_rule(ogi, line: str, value: str) -> None:
    config = ogi.home / "ogi.toml"
    text = config.read_text(encoding="utf-8")
    assert line in text
    config.write_text(text.replace(line, value), encoding="utf-8")


# --- 1. extension notice (条例第三十三条第二款) -----------------------------------------------

def test_extension_notice_names_the_due_date_before_and_after(ogi_sqlite):
    ogi = ogi_sqlite
    case = accepted(ogi)  # received 2026-09-24: 20 WD -> 2026-10-29
    ogi.ok("case", "extend", case, "--workdays", "15", "--reason", "需调取档案", "--date", "2026-10-20", user=HEAD)
    text = text_of(ogi, case, "extension-notice")
    assert "答复期限届满日为2026年10月29日" in text            # before the extension
    assert "答复期限延长15个工作日" in text
    assert "本机关将于2026年11月19日（含当日）前作出答复" in text  # after it
    assert "届满日为2026年11月19日" not in text
    # the clerk's reason without final punctuation still ends as a sentence
    assert "延期理由：需调取档案。本机关不能在上述期限内作出答复" in text

    # a second extension starts from the first one's date; a reason that ends with its own
    # punctuation gets no second mark
    ogi.ok("case", "extend", case, "--workdays", "5", "--reason", "还需与档案馆会商！", "--date", "2026-11-02", user=HEAD)
    second = text_of(ogi, case, "extension-notice")
    assert "答复期限届满日为2026年11月19日" in second
    assert "本机关将于2026年11月26日（含当日）前作出答复" in second
    assert "延期理由：还需与档案馆会商！本机关" in second and "！。" not in second


# --- 3. fee notice (条例第四十二条, 国办函〔2020〕109号) -----------------------------------------

@pytest.mark.parametrize("pauses", [True, False])
def test_fee_notice_per_page(ogi_sqlite, pauses):
    ogi = ogi_sqlite
    if not pauses:
        set_rule(ogi, "fee_pauses_answer_clock = true", "fee_pauses_answer_clock = false")
    case = accepted(ogi)
    ogi.ok("case", "fee-notice", case, "--basis", "per_page", "--quantity", "300", "--date", "2026-10-12")
    [fee] = letters_of(ogi, case)["fee-notice"]
    assert fee["number"] == "示政办公开告〔2026〕1号"
    text = pdf_text(fee["path"])
    # basis and standard, with its bands and unit prices
    assert "第四十二条" in text and "国办函〔2020〕109号" in text
    assert "计收方式：按量计收（本申请所需提供的政府信息共300页）" in text
    assert ("收费标准：按量计收，同一申请按页数分段累加计算：1—30页的部分，免费；31—100页的部分，10元/页；"
            "101—200页的部分，20元/页；201页以上的部分，40元/页。") in text
    # the computation, band by band, and the amount without a thousands comma
    assert "应缴金额：人民币6700元" in text and "6,700" not in text
    assert ("计算方法：1—30页，免费；31—100页，70页×10元/页=700元；101—200页，100页×20元/页=2000元；"
            "201—300页，100页×40元/页=4000元；合计6700元。") in text
    # how and until when to pay (20 WD from 2026-10-12 -> 2026-11-09, the day included)
    assert "缴费方式和期限：请持本通知书到本机关政府信息公开工作机构缴纳" in text
    assert "请您自收到本通知书之日起20个工作日内，即于2026年11月9日（含当日）前缴纳" in text
    assert "逾期未缴纳的，视为放弃申请" in text
    # the answer period: suspended or not, as the agency's config says
    suspended = "自本通知书发出之日的次日起，答复期限暂停计算；自您缴纳信息处理费之日的次日起，答复期限继续计算"
    running = "缴费期间，答复期限继续计算，不因本通知书而暂停"
    assert (suspended in text, running in text) == (pauses, not pauses)
    # a fee decision can be challenged
    assert ("如对本通知书中收取信息处理费的决定不服，您可以自收到本通知书之日起六十日内向示例市人民政府申请行政复议"
            in text)
    assert "也可以自收到本通知书之日起六个月内向示例市人民法院提起行政诉讼" in text


def test_fee_notice_per_application(ogi_sqlite):
    """按件: the engine counts the applicant's applications in the month; the 11th costs 100 元."""
    ogi = ogi_sqlite
    cases = [register(ogi, f"2026-09-{day:02d}") for day in range(14, 25)]
    ogi.ok("case", "accept", cases[-1], "--date", "2026-09-25")
    ogi.ok("case", "fee-notice", cases[-1], "--basis", "per_application", "--date", "2026-10-12")
    text = text_of(ogi, cases[-1], "fee-notice")
    assert "计收方式：按件计收（本申请为您本自然月内提出的第11件申请）" in text
    assert "1—10件的，免费；11—30件的，100元/件；自第31件起，以10件为一档，每增加一档，收费标准提高100元/件" in text
    assert "应缴金额：人民币100元。计算方法：第11件申请适用11—30件的收费标准，1件×100元/件=100元。" in text


# --- 4. delay notice (条例第三十五条), on both backends ------------------------------------------

def test_delay_makes_a_delay_notice(ogi):
    case = accepted(ogi)  # due 2026-10-29
    ogi.ok("case", "delay", case, "--until", "2026-11-30", "--reason", "申请的文件数量较多，需要逐件调取",
           "--date", "2026-10-20", user=HEAD)
    [delay] = letters_of(ogi, case)["delay-notice"]
    assert delay["number"] == "示政办公开告〔2026〕1号"  # the notice series
    assert delay["title"] == "政府信息公开申请延迟答复告知书"
    text = pdf_text(delay["path"])
    assert "政府信息公开申请延迟答复告知书" in text and "示政办公开告〔2026〕1号" in text and "张三：" in text
    assert "答复期限届满日为2026年10月29日" in text
    assert "延迟答复的理由：申请的文件数量较多，需要逐件调取。" in text
    assert "第三十五条" in text and "政府信息公开工作机构负责人同意" in text
    assert "确定延迟答复的合理期限，将于2026年11月30日（含当日）前作出答复" in text
    assert "如对本告知书确定的延迟答复期限不服" in text and "申请行政复议" in text and "提起行政诉讼" in text
    # the Chinese name finds it; rendering it again changes nothing
    again = ogi.json("letter", "render", case, "延迟答复告知书")
    assert again["kind"] == "delay-notice" and again["number"] == delay["number"] and again["unchanged"] is True


# --- 5. 送达回证: its own series; applicant and 代收人 on delegated delivery (both backends) -------

def _deliver(ogi, case: str, *how: str) -> None:
    ogi.ok("case", "propose", case, "--outcome", "disclose", "--date", "2026-10-09")
    ogi.ok("case", "decide", case, "--date", "2026-10-09")
    ogi.ok("case", "approve", case, "--date", "2026-10-10", user=HEAD)
    ogi.ok("case", "deliver", case, *how, "--date", "2026-10-12")


def test_service_receipt_series_and_delegate(ogi):
    first = accepted(ogi)
    _deliver(ogi, first, "--method", "delegated", "--recipient", "李四")
    letters = letters_of(ogi, first)
    [receipt], [service] = letters["receipt"], letters["service-receipt"]
    assert receipt["number"] == "示政办公开登〔2026〕1号"
    assert service["number"] == "示政办公开送〔2026〕1号"  # not the registration receipts' 登 series
    text = pdf_text(service["path"])
    assert "示政办公开送〔2026〕1号" in text
    assert "受送达人张三" in text and "代收人李四" in text and "代收人签收" in text
    assert "送达方式委托送达" in text and "政府信息公开申请答复书（示政办公开" in text  # the cell wraps

    second = accepted(ogi, "2026-09-24", "王五")
    _deliver(ogi, second, "--method", "direct")
    letters = letters_of(ogi, second)
    assert letters["receipt"][0]["number"] == "示政办公开登〔2026〕2号"
    assert letters["service-receipt"][0]["number"] == "示政办公开送〔2026〕2号"
    text = pdf_text(letters["service-receipt"][0]["path"])
    assert "受送达人王五" in text and "受送达人签收" in text and "代收人" not in text


# --- 7. every "X日前" includes day X -----------------------------------------------------------

def test_every_date_before_which_says_the_day_is_included(ogi_sqlite):
    ogi = ogi_sqlite
    a = register(ogi)  # received 2026-09-24
    ogi.ok("case", "request-correction", a, "--items", "请写明文件名称；请写明年份", "--date", "2026-09-28")
    ogi.ok("case", "receive-correction", a, "--date", "2026-10-09")
    tp = ogi.json("case", "consult", a, "--party", "某公司", "--kind", "third_party", "--date", "2026-10-12")
    ogi.ok("case", "consultation-reply", a, "--consultation", str(tp["step"]["consultation_id"]), "--opinion", "agree",
           "--date", "2026-10-14")
    ag = ogi.json("case", "consult", a, "--party", "市自然资源局", "--kind", "agency", "--date", "2026-10-15")
    ogi.ok("case", "consultation-reply", a, "--consultation", str(ag["step"]["consultation_id"]), "--opinion", "none",
           "--date", "2026-10-16")
    ogi.ok("case", "extend", a, "--workdays", "10", "--reason", "需调取档案", "--date", "2026-10-20", user=HEAD)
    ogi.ok("case", "delay", a, "--until", "2026-12-15", "--reason", "文件数量较多", "--date", "2026-10-21", user=HEAD)
    ogi.ok("case", "fee-notice", a, "--basis", "per_page", "--quantity", "40", "--date", "2026-10-22")

    texts = {kind: pdf_text(rows[-1]["path"]) for kind, rows in letters_of(ogi, a).items()}
    assert set(texts) == {"receipt", "correction-notice", "third-party-consultation", "agency-consultation",
                          "extension-notice", "delay-notice", "fee-notice"}
    for kind, text in texts.items():
        assert "（含当日）前" in text, kind
        assert not re.search(r"\d日前", text), kind  # no bare "X日前"
    assert "本机关将于2026年10月29日（含当日）前作出答复" in texts["receipt"]
    assert "自收到本告知书之日起15个工作日内，即于2026年10月23日（含当日）前，向本机关提交补正后的申请" in texts["correction-notice"]
    assert "（一）请写明文件名称。（二）请写明年份。" in texts["correction-notice"]
    assert "即于2026年11月2日（含当日）前，向本机关书面提出是否同意公开的意见" in texts["third-party-consultation"]
    assert "即于2026年11月5日（含当日）前，向本机关书面提出意见" in texts["agency-consultation"]


# --- the samples say what the engine computes ------------------------------------------------

def test_fee_sample_is_the_engines_standard_and_computation():
    import dataclasses

    from ogi.engine.cases import fees
    from ogi.errors import LetterError
    from ogi.letters import render_html
    from ogi.letters.samples import KIND_SAMPLES

    ctx = KIND_SAMPLES["fee-notice"]
    assert ctx.fee_standard == fees.standard_text(ctx.fee_basis)
    assert ctx.fee_breakdown == fees.breakdown(ctx.fee_basis, ctx.fee_quantity)
    assert ctx.fee_amount == fees.fee_amount(ctx.fee_basis, ctx.fee_quantity)[0]
    with pytest.raises(LetterError, match="收费计算明细的合计与应缴金额不符"):
        render_html(dataclasses.replace(ctx, fee_amount=1800))
