"""letters: kinds, context checks, HTML rendering (golden files). No PDF here.

Regenerate the golden files with `OGI_UPDATE_GOLDEN=1 pytest tests/test_letters_render.py`
and review the diff by eye before committing.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import os
import re
import subprocess
import sys
from pathlib import Path

import jinja2
import pytest

from ogi.errors import InputError, LetterError
from ogi.letters import KIND_ALIASES, LetterContext, LetterKind, render_html, resolve_kind
from ogi.letters.context import Applicant, required_fields
from ogi.letters.render import cn_date, cn_num, due_by, environment, paras, sentence, yuan
from ogi.letters.samples import BASE, KIND_SAMPLES, REPLY_SAMPLES, SAMPLES
from ogi.states.outcomes import OUTCOMES, Family

GOLDEN = Path(__file__).parent / "golden" / "letters"
UPDATE = os.environ.get("OGI_UPDATE_GOLDEN") == "1"


def flat(html: str) -> str:
    """The text of the HTML without tags and whitespace."""
    return "".join(re.sub(r"<[^>]+>", "", html).split())


# --- golden HTML --------------------------------------------------------------------------

@pytest.mark.parametrize("name", list(SAMPLES))
def test_golden_html(name):
    html = render_html(SAMPLES[name])
    path = GOLDEN / f"{name}.html"
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(html, encoding="utf-8")
    assert path.exists(), f"missing golden {path}; run with OGI_UPDATE_GOLDEN=1"
    assert html == path.read_text(encoding="utf-8"), f"{name} differs from its golden file"


def test_samples_cover_every_kind_and_family():
    assert {c.kind for c in SAMPLES.values()} == set(LetterKind)
    assert {c.outcome_info.family for c in REPLY_SAMPLES.values()} == set(Family)


# --- kinds ----------------------------------------------------------------------------------

def test_kind_attributes():
    for kind in LetterKind:
        assert kind.title and kind.short and kind.title.endswith(kind.short[-2:])
        assert kind.number_family in {"reply", "notice", "consult", "receipt", "service"}
    assert {k for k in LetterKind if k.needs_remedy} == {
        LetterKind.REPLY, LetterKind.NOT_HANDLED_NOTICE, LetterKind.THIRD_PARTY_NOTICE,
        LetterKind.FEE_NOTICE, LetterKind.DELAY_NOTICE}
    # 送达回证 has a series of its own, not the 登记回执's
    assert LetterKind.SERVICE_RECEIPT.number_family != LetterKind.RECEIPT.number_family
    assert LetterKind.REPLY.title == "政府信息公开申请答复书"


@pytest.mark.parametrize("text, kind", [
    ("登记回执", LetterKind.RECEIPT), ("补正告知书", LetterKind.CORRECTION_NOTICE),
    ("延期答复告知书", LetterKind.EXTENSION_NOTICE), ("第三方征求意见书", LetterKind.THIRD_PARTY_CONSULTATION),
    ("延迟答复告知书", LetterKind.DELAY_NOTICE), ("延迟答复通知书", LetterKind.DELAY_NOTICE),
    ("delay-notice", LetterKind.DELAY_NOTICE),
    ("征求其他机关意见函", LetterKind.AGENCY_CONSULTATION), ("第三方告知书", LetterKind.THIRD_PARTY_NOTICE),
    ("收费通知书", LetterKind.FEE_NOTICE), ("不予处理告知书", LetterKind.NOT_HANDLED_NOTICE),
    ("送达回证", LetterKind.SERVICE_RECEIPT), ("答复书", LetterKind.REPLY),
    ("政府信息公开申请答复书", LetterKind.REPLY), ("fee-notice", LetterKind.FEE_NOTICE),
    ("FEE_NOTICE", LetterKind.FEE_NOTICE), (" reply ", LetterKind.REPLY),
    (LetterKind.RECEIPT, LetterKind.RECEIPT),
])
def test_resolve_kind(text, kind):
    assert resolve_kind(text) is kind


def test_resolve_kind_unknown_lists_the_kinds():
    with pytest.raises(InputError) as err:
        resolve_kind("起诉书")
    msg = err.value.message
    assert "起诉书" in msg and all(k.value in msg and k.short in msg for k in LetterKind)


def test_aliases_are_chinese_names_of_kinds():
    assert all(isinstance(v, LetterKind) for v in KIND_ALIASES.values())
    assert all(KIND_ALIASES[k.short] is k for k in LetterKind)


# --- context ---------------------------------------------------------------------------------

def test_context_is_frozen_and_normalises_lists():
    ctx = dataclasses.replace(BASE, correction_items=["a", "b"], kind="答复书")
    assert ctx.correction_items == ("a", "b") and ctx.kind is LetterKind.REPLY
    with pytest.raises(dataclasses.FrozenInstanceError):
        ctx.number = "x"


def _clear(ctx, path):
    if "." in path:
        head, tail = path.split(".")
        return dataclasses.replace(ctx, **{head: dataclasses.replace(getattr(ctx, head), **{tail: ""})})
    empty = () if isinstance(getattr(ctx, path), tuple) else None
    return dataclasses.replace(ctx, **{path: empty})


CASES = [(name, req) for name, ctx in SAMPLES.items() for req in required_fields(ctx)]


@pytest.mark.parametrize("name, req", CASES, ids=[f"{n}:{r}" for n, r in CASES])
def test_every_required_field_is_checked(name, req):
    ctx = SAMPLES[name]
    for alt in req.split("|"):
        ctx = _clear(ctx, alt)
    with pytest.raises(LetterError) as err:
        render_html(ctx)
    assert req in err.value.message and "缺少" in err.value.message


def test_refusal_needs_no_court_but_other_replies_do():
    no_court = dataclasses.replace(BASE.agency, court=None)
    render_html(dataclasses.replace(REPLY_SAMPLES["reply-withhold"], agency=no_court))
    for name in ("reply-partial", "reply-unable"):
        with pytest.raises(LetterError, match="管辖法院"):
            render_html(dataclasses.replace(REPLY_SAMPLES[name], agency=no_court))


@pytest.mark.parametrize("name, changes, needle", [
    ("reply-disclose", {"outcome": "nonsense"}, "未知的办理结果"),
    ("not-handled-notice", {"outcome": "disclose"}, "请改用答复书"),
    ("extension-notice", {"extension_workdays": 21}, "第三十三条第二款"),
    ("fee-notice", {"fee_basis": "per_byte"}, "per_application"),
    ("service-receipt", {"delivery_method": "pigeon"}, "direct"),
])
def test_invalid_values(name, changes, needle):
    with pytest.raises(LetterError, match=needle):
        render_html(dataclasses.replace(SAMPLES[name], **changes))


# --- content -----------------------------------------------------------------------------------

def _reply_for(key):
    extra = {"reasons": "理由。", "withheld": "某些内容", "already_public_where": "本机关门户网站"}
    return dataclasses.replace(BASE, outcome=key, **extra)


@pytest.mark.parametrize("key", list(OUTCOMES))
def test_every_outcome_cites_its_article_and_the_remedy(key):
    o = OUTCOMES[key]
    html = flat(render_html(_reply_for(key)))
    assert flat(o.article) in html
    assert "示例市人民政府申请行政复议" in html and "行政复议法》第二十条" in html
    if o.refusal:
        assert "第二十三条第一款第（四）项" in html and "申请政府信息公开，行政机关不予公开的，应当先向行政复议机关申请行政复议" in html
        assert "可以再依法向人民法院提起行政诉讼" in html
    else:
        assert "第二十三条" not in html
    if o.family is Family.WITHHOLD:
        assert "六个月" not in html and "铁路运输法院" not in html
    else:
        assert "六个月内向示例市铁路运输法院提起行政诉讼" in html and "行政诉讼法》第四十六条" in html


@pytest.mark.parametrize("name", list(SAMPLES))
def test_every_letter_carries_the_basics(name):
    ctx = SAMPLES[name]
    raw = render_html(ctx)
    html = flat(raw)
    for text in (ctx.kind.title, ctx.number, ctx.agency.name, ctx.case_number,
                 cn_date(ctx.received_on), cn_date(ctx.issued_on), ctx.addressee):
        assert flat(text) in html, text
    assert ("申请行政复议" in html) == ctx.kind.needs_remedy
    assert '<html lang="zh-CN">' in raw  # zh-CN picks the simplified glyph forms (locl)
    assert "<style" not in raw


@pytest.mark.parametrize("name, needles", [
    ("receipt", ["第三十一条、第三十三条", "20个工作日", "将于2026年3月30日（含当日）前作出答复"]),
    ("correction-notice", ["第三十条", "一次性告知", "（一）请明确", "（二）请明确", "15个工作日内",
                           "视为放弃申请", "答复期限自本机关收到补正的申请之日起计算"]),
    ("extension-notice", ["第三十三条第二款", "政府信息公开工作机构负责人同意", "延长20个工作日",
                          "答复期限届满日为2026年3月30日", "2026年4月28日（含当日）前作出答复"]),
    ("delay-notice", ["第三十五条", "答复期限届满日为2026年3月30日", "2026年5月29日（含当日）前作出答复",
                      "延迟答复的理由：", "第三方合法权益。", "如对本告知书确定的延迟答复期限不服"]),
    ("third-party-consultation", ["第三十二条", "15个工作日内", "即于2026年3月31日（含当日）前，",
                                  "逾期未提出意见的，由本机关依照"]),
    ("agency-consultation", ["第三十四条", "15个工作日内", "逾期未提出意见的，视为同意公开"]),
    ("third-party-notice", ["第三十二条", "公共利益造成重大影响", "决定公开的政府信息内容：", "决定公开的理由："]),
    ("fee-notice", ["第四十二条", "国办函〔2020〕109号", "按量计收", "201页以上的部分，40元/页", "人民币1700元",
                    "31—100页，70页×10元/页=700元", "101—150页，50页×20元/页=1000元", "合计1700元",
                    "缴费方式和期限：", "20个工作日内", "即于2026年4月10日（含当日）前缴纳", "视为放弃申请",
                    "答复期限暂停计算", "如对本通知书中收取信息处理费的决定不服"]),
    ("not-handled-notice", ["第三十九条第一款", "不作为政府信息公开申请处理", "12345"]),
    ("service-receipt", ["受送达人", "送达文书名称及文号", "送达方式", "直接送达", "送达地点", "送达人",
                         "受送达人签收", "送达日期", "备注", "示自然资规公开〔2026〕12号"]),
    ("reply-disclose-already-public", ["第三十六条第（一）项", "已主动公开", "0310.html"]),
    ("reply-partial", ["第三十七条", "不予公开的内容：编制说明", "不予公开的理由：", "附件：1．", "2．编制说明"]),
    ("reply-not-responsible", ["第三十六条第（五）项", "示例市住房和城乡建设局", "010-87654321"]),
    ("reply-unable", ["第三十六条第（四）项", "该政府信息不存在"]),
])
def test_kind_content(name, needles):
    html = flat(render_html(SAMPLES[name]))
    for needle in needles:
        assert flat(needle) in html, needle


def test_third_party_remedy_is_never_review_first():
    # the engine passes the case outcome; the third party's own remedy is review or lawsuit
    ctx = dataclasses.replace(KIND_SAMPLES["third-party-notice"], outcome="partial")
    html = flat(render_html(ctx))
    assert "第二十三条" not in html and "六个月内向示例市铁路运输法院提起行政诉讼" in html


def test_provisional_note_and_cc():
    html = render_html(dataclasses.replace(KIND_SAMPLES["receipt"], provisional=True, cc=("示例市政务公开办",)))
    assert "节假日安排尚未公布" in html and "抄送：示例市政务公开办。" in html
    assert "节假日安排尚未公布" not in render_html(KIND_SAMPLES["receipt"])


def test_correction_period_as_date_only():
    ctx = dataclasses.replace(KIND_SAMPLES["correction-notice"], correction_workdays=None,
                              correction_due=dt.date(2026, 3, 27))
    assert "请您于2026年3月27日（含当日）前向本机关提交补正后的申请" in render_html(ctx)


# --- escaping ------------------------------------------------------------------------------------

def test_user_text_is_escaped_not_evaluated():
    evil = "<script>alert(1)</script>{{ 7*7 }}{% if 1 %}x{% endif %}&"
    ctx = dataclasses.replace(REPLY_SAMPLES["reply-partial"], applicant=Applicant(name=evil),
                              reasons=evil, withheld=evil, request_description=evil)
    html = render_html(ctx)
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;{{ 7*7 }}{% if 1 %}x{% endif %}&amp;" in html
    assert "49" not in html


def test_environment_is_strict_and_autoescaping():
    env = environment()
    assert env.undefined is jinja2.StrictUndefined and env.autoescape is True
    with pytest.raises(jinja2.UndefinedError):
        env.from_string("{{ ctx.nope }}").render(ctx=BASE)


def test_filters():
    assert [cn_num(n) for n in (1, 9, 10, 11, 20, 21, 99)] == ["一", "九", "十", "十一", "二十", "二十一", "九十九"]
    assert cn_date(dt.date(2026, 1, 5)) == "2026年1月5日"
    assert yuan(100) == "100" and yuan("1200.5") == "1200.50" and yuan(6700) == "6700"  # no thousands comma
    assert due_by(dt.date(2026, 11, 12)) == "2026年11月12日（含当日）前" and due_by(None) == ""
    assert sentence("需调取档案") == "需调取档案。" and sentence("需调取档案。") == "需调取档案。"
    assert [sentence(t) for t in ("是否存在？", "好！", "他说：“好。”", "见附件（一）", "档案；", "档案.", " ")] == [
        "是否存在？", "好！", "他说：“好。”", "见附件（一）。", "档案。", "档案。", ""]
    assert paras("第一段\n\n第二段。\n第三段？") == ["第一段。", "第二段。", "第三段？"]


def test_render_html_does_not_import_weasyprint():
    code = ("import sys; from ogi.letters import render_html; from ogi.letters.samples import SAMPLES; "
            "[render_html(c) for c in SAMPLES.values()]; print('weasyprint' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_missing_font_names_the_package(monkeypatch):
    from ogi.letters import pdf, render

    monkeypatch.setattr(pdf, "FONT_DIRS", ())
    monkeypatch.setattr(pdf, "_fc_match", lambda family, style: None)
    pdf.font_files.cache_clear()
    try:
        with pytest.raises(LetterError) as err:
            render.to_pdf("<p>x</p>")
        assert "Noto Serif CJK SC" in err.value.message
        assert "apt-get install fonts-noto-cjk" in err.value.message
    finally:
        pdf.font_files.cache_clear()
