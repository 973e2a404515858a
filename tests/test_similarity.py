"""Near-duplicate request descriptions (issue 17, 条例第四十四条): engine/legal/similarity.py.

The labelled set is tests/data/repeated_labelled.toml: two descriptions ask for the same
information iff they carry the same label. Timings are bench/bench_similarity.py's business.
"""
from __future__ import annotations

import itertools
import random
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ogi.engine.legal import similarity as sim

LABELLED = Path(__file__).parent / "data" / "repeated_labelled.toml"


def labelled() -> list[tuple[str, str]]:
    data = tomllib.loads(LABELLED.read_text(encoding="utf-8"))
    return [(g["label"], t) for g in data["group"] for t in g["texts"]]


def same(a: str, b: str) -> bool:
    return sim.match(sim.features(a), sim.features(b)) is not None


def test_labelled_set_is_large_and_has_hard_negatives():
    rows = labelled()
    labels = {lab for lab, _ in rows}
    assert len(rows) >= 200
    assert sum(1 for lab in labels if "-neg-" in lab) >= 8
    assert len({t for _, t in rows}) == len(rows), "a description is listed twice"


def test_labelled_set_precision_and_recall():
    rows = labelled()
    groups = sim.group((i, text) for i, (_, text) in enumerate(rows))
    found = {p for g in groups for p in itertools.combinations(sorted(g.members), 2)}
    truth = {(i, j) for i, j in itertools.combinations(range(len(rows)), 2) if rows[i][0] == rows[j][0]}
    tp = len(found & truth)
    wrong = [(rows[i][1], rows[j][1]) for i, j in sorted(found - truth)]
    assert tp / len(found) >= 0.95, wrong[:10]
    assert tp / len(truth) >= 0.85


def test_issue_example_matches_and_says_why():
    m = sim.match(sim.features("2025年人民路改造工程立项批复"), sim.features("请公开人民路改造工程（2025年）的立项批复文件"))
    assert m is not None and m.score >= sim.Thresholds().score
    assert {"人民路", "立项", "批复"} <= set(m.shared)
    assert m.years == (2025,)
    text = sim.reason(m)
    assert text.startswith("共同词语：人民路") and "年份 2025 一致" in text and "相似度" in text


@pytest.mark.parametrize("a, b", [
    ("2025年人民路改造工程立项批复", "2024年人民路改造工程立项批复"),          # same project, other year
    ("2025年人民路改造工程立项批复", "2025年解放路改造工程立项批复"),          # same document, other road
    ("京政办发〔2025〕12号", "京政办发〔2025〕13号"),                          # same 文号 family, other number
    ("京政办发〔2025〕12号", "京政办发[2024]12号"),
    ("环罚〔2025〕31号行政处罚决定书", "市监罚〔2025〕31号行政处罚决定书"),      # other issuer
    ("2024年度区财政预算", "2025年度区财政预算"),
    ("新河花园一期建设工程规划许可证", "新河花园二期建设工程规划许可证"),
    ("地铁3号线一期工程环评报告", "地铁4号线一期工程环评报告"),
    ("2025年人民路改造工程立项批复", "2025年人民路改造工程征收补偿方案"),      # other kind of document
    ("新河污水处理厂扩建项目环评报告", "东城污水处理厂扩建项目环评报告"),
])
def test_hard_negatives_do_not_match(a, b):
    assert not same(a, b)


@pytest.mark.parametrize("a, b", [
    ("京政办发〔2025〕12号文件", "请公开京政办发[2025]12号文件全文"),
    ("京政办发〔2025〕12号文件", "申请公开京政办发（2025）12号"),
    ("京政办发〔2025〕12号文件", "请公开京政办发〔２０２５〕１２号"),             # full-width digits
    ("2025年人民路改造工程立项批复", "请提供二〇二五年人民路改造工程立项批复全文"),  # Chinese numerals
    ("新河花园一期建设工程规划许可证", "新河花园1期工程规划许可证复印件"),
    ("区政府2024年度三公经费决算", "申请公开2024年度区政府“三公”经费决算"),
])
def test_variants_match(a, b):
    assert same(a, b)


def test_numbers_are_read():
    f = sim.features("请公开京政办发〔２０２５〕１２号及地铁三号线一期")
    assert f.years == {2025}
    assert {(d[1], d[2]) for d in f.docnos} == {(2025, 12)}
    assert f.numbers == {3, 1}


TEXTS = ["人民路改造工程立项批复", "区财政预算报告", "新河污水处理厂扩建项目环评报告", "阳光新村安置房分配名单",
         "区政府常务会议纪要", "第三实验小学新建工程招标文件"]


@settings(max_examples=150, deadline=None, derandomize=True)
@given(st.sampled_from(TEXTS), st.integers(1990, 2035), st.integers(1990, 2035), st.booleans(), st.booleans())
def test_different_years_never_match(text, y1, y2, suffix, cn_style):
    if y1 == y2:
        return
    def with_year(y):
        year = f"（{y}年）" if cn_style else f"{y}年度"
        return text + year if suffix else year + text
    assert sim.match(sim.features(with_year(y1)), sim.features(with_year(y2)), sim.Thresholds(score=0.0)) is None


@settings(max_examples=100, deadline=None, derandomize=True)
@given(st.integers(1, 999), st.integers(1, 999), st.sampled_from("〔[(（【"))
def test_different_document_numbers_never_match(n1, n2, bracket):
    close = {"〔": "〕", "[": "]", "(": ")", "（": "）", "【": "】"}[bracket]
    a, b = (sim.features(f"请公开京政办发{bracket}2025{close}{n}号文件") for n in (n1, n2))
    assert (sim.match(a, b) is not None) == (n1 == n2)


def test_groups_say_why():
    records = [(1, "2025年人民路改造工程立项批复"), (2, "请公开人民路改造工程（2025年）的立项批复文件"),
               (3, "申请公开2025年度人民路道路改造工程的立项批复"), (4, "2024年人民路改造工程立项批复"),
               (5, "2025年人民路改造工程立项批复")]
    groups = sim.group(records)
    assert [g.members for g in groups] == [[1, 2, 3, 5], [4]]
    g = groups[0]
    assert g.representative == 1 and {"人民路", "立项", "批复"} <= set(g.shared) and g.years == (2025,)
    assert sim.reason(g).startswith("共同词语：人民路、改造、立项、批复；年份 2025 一致；相似度 ")


def test_a_yearless_request_does_not_chain_two_years():
    records = [(1, "人民路改造工程立项批复"), (2, "2024年人民路改造工程立项批复"), (3, "2025年人民路改造工程立项批复")]
    groups = sim.group(records)
    assert [g.members for g in groups] == [[1, 2], [3]]


def test_thresholds_are_parameters():
    a, b = sim.features("人民路改造工程立项批复"), sim.features("人民路改造工程立项批复及征收范围图")
    assert sim.match(a, b, sim.Thresholds(score=0.99)) is None
    assert sim.match(a, b, sim.Thresholds(score=0.5)) is not None
    with pytest.raises(AttributeError):
        sim.Thresholds().score = 0.1     # frozen


def test_item_key_normalises_document_numbers():
    assert sim.item_key("关于印发 某方案的通知", "京政办发（２０２５）12号", "北京市 政府办公厅") == \
        sim.item_key("关于印发某方案的通知。", "京政办发〔2025〕12号", "北京市政府办公厅") == \
        ("京政办发〔2025〕12号", "关于印发某方案的通知", "北京市政府办公厅")


def test_grouping_five_thousand_descriptions_runs():
    rnd = random.Random(5)
    places = [a + b for a in ("人民", "解放", "中山", "建设", "和平", "滨江", "北关", "青山") for b in ("路", "村", "小区")]
    kinds = ["改造工程立项批复", "征收补偿方案", "环评报告", "安置房分配名单", "招标文件"]
    before = ["", "请公开", "申请公开", "本人申请公开"]
    records = [(i, f"{rnd.choice(before)}{rnd.randint(2020, 2026)}年{rnd.choice(places)}{rnd.choice(kinds)}")
               for i in range(5000)]
    groups = sim.group(records)
    assert sorted(k for g in groups for k in g.members) == list(range(5000))
    assert len(groups) <= 24 * 5 * 7          # the wording varies, the information does not


def test_no_heavy_import():
    code = ("import sys, ogi.engine.legal.similarity as s; s.group([(1, '人民路改造工程立项批复')]);"
            "print(sorted(m for m in ('jieba', 'rjieba', 'rapidfuzz', 'datasketch', 'numpy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_document_number_in_the_reason():
    groups = sim.group([(1, "请公开京政办发〔2025〕12号"), (2, "京政办发[2025]12号文件全文"), (3, "京政办发（2025）13号")])
    assert [g.members for g in groups] == [[1, 2], [3]]
    assert "文号 京政办发〔2025〕12号 一致" in sim.reason(groups[0])
