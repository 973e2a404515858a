"""Near-duplicate matching of request descriptions (issue 17, 条例第四十四条).

Pure, standard library only. A description becomes the numbers that must agree (years, 文号,
others such as 一期/3号线) and the words left once boilerplate (请公开, 复印件 ...) is dropped. Words
come from forward maximum matching on a small lexicon of administrative vocabulary (批复, 环境影响评价
...); what the lexicon does not know is the *subject* (人民路, 新河), compared by character bigrams
and weighted above vocabulary: 人民路 vs 解放路 separates, 工程 vs 项目 does not.

Chosen by measurement (bench/bench_similarity.py --alternatives, its docstring has the figures):
on the 269 labelled descriptions this scores precision 1.000 / recall 0.975, jieba or rjieba words
under the same rules 0.979 / 0.870 (slower, jieba writes a cache in /tmp), rapidfuzz's
token_set_ratio 0.972 / 0.886. A dictionary does not know which words name the information; that
split, not segmentation, separates hard negatives.

Score = W(shared) / (W(shared) + min(W(only a), W(only b)) + rename + extra * max(...)): words added
on one side cost little, a subject replaced on both sides a lot. Numbers are gates: different
years, 文号 or numbers on both sides never match. Known misses: an unknown word inside a subject
(义务教育阶段招生 vs 义务教育招生), abbreviations not in _SYNONYMS (卫健委), 7·15 vs 715.
"""
from __future__ import annotations

import itertools
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Hashable, Iterable

# Request boilerplate and filler: removed before comparing (weight 0).
_DROP = ("政府信息公开申请 申请公开 请求公开 请予公开 依法公开 请公开 请提供 申请获取 本人申请 申请人 本人 我单位 申请 公开 "
         "提供 获取 关于 有关 相关 政府信息 信息 文件 全文 复印件 原件 附件 电子版 纸质版 一份 全部 具体 内容 情况 "
         "的 及 以及 或 之 第 本区 我区 本市 我市 本县 我县 工程 项目 道路 年 日 号 份 作出 印发 下发 结果 数据 明细表 "
         "公告 人员 区级 市级 在 所 上 其他 区 市 县").split()
# Document and administrative vocabulary: common to many requests, so weighs less than a subject.
_WORDS = ("立项 批复 可行性研究 报告 初步设计 概算 预算 决算 草案 财政 三公经费 支出 补贴 资金 使用 明细 审计 执行 收支 工作 "
          "征收 补偿 安置 方案 决定 实施 房屋 国有土地 集体土地 所有权 确权 登记 资料 环境影响评价 批准书 用地 "
          "规划许可证 规划 许可证 施工许可证 控制性详细规划 图则 附图 调整 招标 中标 投标 施工 采购 合同 服务 "
          "通知书 通知 会议纪要 纪要 会议 常务 行政处罚 处罚 决定书 名单 分配 安置房 办法 标准 收费 价格 "
          "政府 财政局 城管局 审计局 信访局 生态环境局 市场监管局 教育局 局 委员会 办公室 "
          "建设 改造 扩建 新建 拓宽 加固 除险 加装 电梯 既有住宅 住宅 旧城改造 老旧小区 新院区 院区 "
          "污水处理厂 变电站 水库 大桥 桥梁 检测 定期 安全 公路 农村 交工验收 竣工验收 验收 供水管网 "
          "最低生活保障 城乡 生活垃圾 清运 绿化 养护 停车场 停车 路内 路外 公共 中心城区 城区 "
          "地铁 线 期 标段 楼 事故 调查 爆炸 火灾 处理 行政处罚 统计 信访事项 上半年 下半年 季度 月 "
          "医院 小学 中学 学校 公园 集团 公交 处罚决定 违法 违法建设 管理处").split()   # 村, 镇, 小区 ... stay in the subject
# Same thing, other words: rewritten before segmenting (longest first).
_SYNONYMS = {"环评": "环境影响评价", "环境影响报告": "环境影响评价报告", "环境影响评价报告书": "环境影响评价报告",
             "报告书": "报告", "可研": "可行性研究", "控规": "控制性详细规划", "低保": "最低生活保障", "旧改": "旧城改造",
             "人民政府": "政府", "材料": "资料", "轨道交通": "地铁", "年度": "年", "月份": "月", "拆迁安置": "安置",
             "回迁安置": "安置", "调查处理报告": "调查报告", "行政处罚决定书": "处罚决定", "处罚决定书": "处罚决定",
             "行政处罚决定": "处罚决定", "财政局": "财政",
             "工程规划许可证": "规划许可证", "建设工程规划许可证": "规划许可证", "建设用地批准书": "用地批准书"}
# Kinds of document: two requests that both name a kind must share one (立项批复 is not 施工许可证).
_KINDS = frozenset(("批复 报告 概算 预算 决算 草案 方案 决定 批准书 许可证 规划许可证 施工许可证 控制性详细规划 图则 合同 "
                    "通知书 通知 会议纪要 纪要 处罚决定 决定书 名单 办法 标准 资料 统计 明细 招标 中标").split())
_DROP_SET, _WORD_SET = frozenset(_DROP), frozenset(_WORDS) | _KINDS
_PLACE = tuple("路街道村镇乡区巷里苑园") + ("社区", "小区", "片区", "大道", "新村")
_ALWAYS = frozenset("的及或之")         # single characters that never belong to a name
_MAXLEN = max(map(len, _DROP + _WORDS))
_SYN_RE = re.compile("|".join(sorted(map(re.escape, _SYNONYMS), key=len, reverse=True)))

_CN_DIGIT = {c: i for i, c in enumerate("〇一二三四五六七八九")} | {"零": 0, "两": 2}
_CN_YEAR = re.compile(r"[〇零一二三四五六七八九]{4}(?=年)")
# A Chinese numeral before a counter (一期, 三号线, 第四标段, 8号楼 is already digits).
_CN_COUNT = re.compile(r"([一二三四五六七八九十]{1,3})(?=期|号线|号楼|标段|批次|栋|幢|季度|月|届)")
_DOCNO = re.compile(r"([\u4e00-\u9fff]*)[〔\[(【﹝]\s*((?:19|20)\d\d)\s*年?\s*[〕\])】﹞]\s*第?\s*(\d{1,5})\s*号")
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d\d)(?!\d)")
_NUMBER = re.compile(r"\d+")
_RUNS = re.compile(r"[\u4e00-\u9fff]+|[a-z]+")


@dataclass(frozen=True)
class Thresholds:
    """Knobs, defaults tuned on tests/data/repeated_labelled.toml (config feeds them later)."""
    score: float = 0.75            # minimum score for two descriptions to match
    word_weight: float = 0.75      # vocabulary words (批复, 方案 ...)
    subject_weight: float = 1.5    # each character bigram of a subject (人民路 -> 人民, 民路)
    extra: float = 0.15            # cost of words present on one side only
    rename: float = 1.0            # extra cost of a subject replaced by another (白沙河 -> 黑沙河)
    max_candidates: int = 32       # representatives scored per description (bounds the work)
    scan: int = 64                 # newest entries read from each index list
    rare_terms: int = 3            # a description's rarest terms that look up candidates


@dataclass(frozen=True, slots=True)
class Features:
    text: str
    segments: tuple[str, ...]      # subjects and vocabulary words in order, for reasons
    terms: frozenset[str]          # what is scored: vocabulary words and subject bigrams
    years: frozenset[int]
    docnos: frozenset[tuple[str, int, int]]   # (issuer's last characters, year, number)
    numbers: frozenset[int]
    kinds: frozenset[str] = frozenset()     # kinds of document named (批复, 方案 ...)
    n_words: int = 0                        # terms that are vocabulary words, the rest is subject


@dataclass(frozen=True)
class Match:
    score: float
    shared: tuple[str, ...]        # segments both descriptions contain
    years: tuple[int, ...]
    docnos: tuple[str, ...]


@dataclass
class Group:
    representative: Hashable
    text: str
    members: list = field(default_factory=list)   # keys, representative first
    shared: tuple[str, ...] = ()   # segments every member shares with the representative
    years: tuple[int, ...] = ()
    docnos: tuple[str, ...] = ()
    min_score: float = 1.0


def _cn_int(s: str) -> int:
    if "十" not in s:
        return int("".join(str(_CN_DIGIT[c]) for c in s))
    tens, _, units = s.partition("十")
    return (_CN_DIGIT[tens] if tens else 1) * 10 + (_CN_DIGIT[units] if units else 0)


def _prepare(text: str) -> str:
    s = unicodedata.normalize("NFKC", text or "").lower()   # full-width digits and brackets -> ASCII
    s = _CN_YEAR.sub(lambda m: "".join(str(_CN_DIGIT[c]) for c in m.group()), s)
    return _CN_COUNT.sub(lambda m: str(_cn_int(m.group(1))), s)


def docno_text(issuer: str, year: int, number: int) -> str:
    return f"{issuer}〔{year}〕{number}号"


def _segment(s: str) -> list[tuple[str, bool | None]]:
    """(segment, kind) by forward maximum matching: True vocabulary, None boilerplate, False a
    run the lexicon does not know (a subject)."""
    out, i, run = [], 0, []
    while i < len(s):
        for n in range(min(_MAXLEN, len(s) - i), 0, -1):
            w = s[i:i + n]
            if (w in _WORD_SET or w in _DROP_SET) and not (n == 1 and run and w not in _ALWAYS):
                break   # a single character after a subject belongs to it: 小区, 建设镇, 新华村
        else:
            run.append(s[i])
            i += 1
            continue
        if run:
            out.append(("".join(run), False))
            run = []
        out.append((w, True if w in _WORD_SET else None))   # None: boilerplate
        i += n
    if run:
        out.append(("".join(run), False))
    return out


def _names(segs: list) -> list:
    """A word before a place suffix is a name: 建设路, 建设街, 改造村 (建设 is the commonest road)."""
    out = []
    for seg, kind in segs:
        if out and kind is False and out[-1][1] and seg.startswith(_PLACE):
            seg = out.pop()[0] + seg
        out.append((seg, kind))
    return out


def _issuer(prefix: str) -> str:
    """The 发文字 before a 文号's bracket: what follows the last boilerplate (请公开京政办发 -> 京政办发)."""
    cut = max((prefix.rfind(w) + len(w) for w in _DROP if (len(w) > 1 or w in _ALWAYS) and w in prefix), default=0)
    return prefix[cut:][-6:]


def extract(text: str) -> tuple[str, frozenset, frozenset, frozenset]:
    """(the words left, years, 文号, other numbers): the numbers are taken out of the text."""
    s = _prepare(text)
    docnos = {(_issuer(m.group(1)), int(m.group(2)), int(m.group(3))) for m in _DOCNO.finditer(s)}
    s = _DOCNO.sub(lambda m: " " + m.group(1) + " ", s)      # the issuer stays a word
    years = {int(y) for y in _YEAR.findall(s)} | {d[1] for d in docnos}
    s = _YEAR.sub(" ", s)
    numbers = {int(n) for n in _NUMBER.findall(s)}
    s = "".join(" " if c.isspace() else c for c in _NUMBER.sub(" ", s)
                if unicodedata.category(c)[0] not in "PS")     # “三公”经费 = 三公经费
    return _SYN_RE.sub(lambda m: _SYNONYMS[m.group()], s), frozenset(years), frozenset(docnos), frozenset(numbers)


def features(text: str) -> Features:
    s, years, docnos, numbers = extract(text)
    segments, terms = [], set()
    for run in _RUNS.findall(s):
        # boilerplate out, then segment again: 常务会议的纪要 = 常务会议纪要
        run = "".join(seg for seg, kind in _segment(run) if kind is not None)
        for seg, vocab in _names(_segment(run)):
            if vocab is None:
                continue
            segments.append(seg)
            if vocab or len(seg) == 1:
                terms.add(seg)
            else:
                terms.update("#" + seg[k:k + 2] for k in range(len(seg) - 1))   # '#': a subject bigram
    terms = frozenset(terms)
    return Features(text, tuple(dict.fromkeys(segments)), terms, years, docnos, numbers, terms & _KINDS,
                    len(terms & _WORD_SET))


def _agree(a: frozenset, b: frozenset) -> bool:
    return not a or not b or a == b       # numbers given on one side only do not disagree


def _same_docno(x, y) -> bool:
    if x[1:] != y[1:]:
        return False
    i, j = x[0], y[0]
    n = 0
    while n < min(len(i), len(j)) and i[-1 - n] == j[-1 - n]:
        n += 1
    return n >= min(2, len(i), len(j))     # 环罚 vs 出的环罚 agree, 环罚 vs 市监罚 do not


def score(a: Features, b: Features, th: Thresholds) -> float:
    """W(shared) / (W(shared) + min(W(only a), W(only b)) + rename * min(subject only a, only b)
    + extra * max(W(only a), W(only b))); W counts vocabulary words and subject bigrams."""
    shared = a.terms & b.terms
    if not shared:
        return 0.0
    sw = len(shared & _WORD_SET)
    ss = len(shared) - sw
    wa, sa = a.n_words - sw, len(a.terms) - a.n_words - ss     # a's words, a's subject only in a
    wb, sb = b.n_words - sw, len(b.terms) - b.n_words - ss
    ww, ws = th.word_weight, th.subject_weight
    w, da, db = sw * ww + ss * ws, wa * ww + sa * ws, wb * ww + sb * ws
    return w / (w + min(da, db) + th.rename * ws * min(sa, sb) + th.extra * max(da, db))


def _gated(a: Features, b: Features, th: Thresholds) -> tuple[float, list] | None:
    """(score, agreeing 文号) when nothing forbids the match and the score is enough."""
    if not (_agree(a.years, b.years) and _agree(a.numbers, b.numbers)):
        return None
    if a.kinds and b.kinds and a.kinds.isdisjoint(b.kinds):
        return None
    docs = [x for x in a.docnos if any(_same_docno(x, y) for y in b.docnos)]
    if a.docnos and b.docnos and not docs:
        return None
    s = 1.0 if docs else score(a, b, th)     # the same 文号 is the same document
    return (s, docs) if s >= th.score else None


def match(a: Features, b: Features, th: Thresholds = Thresholds()) -> Match | None:
    found = _gated(a, b, th)
    if found is None:
        return None
    s, docs = found
    return Match(round(s, 3), shared_segments(a, b), tuple(sorted(a.years & b.years)),
                 tuple(docno_text(*d) for d in sorted(docs)))


def shared_segments(a: Features, b: Features) -> tuple[str, ...]:
    """Segments of a that b contains too (subjects through their bigrams), for the reason."""
    def inside(seg):
        if seg in _WORD_SET or len(seg) == 1:
            return seg in b.terms
        return all("#" + seg[k:k + 2] in b.terms for k in range(len(seg) - 1))
    return tuple(s for s in a.segments if inside(s))


def reason(m: Match | Group) -> str:
    """Why they match, in Chinese: "共同词语：人民路、改造、立项、批复；年份 2025 一致；相似度 0.82"."""
    parts = [f"共同词语：{'、'.join(m.shared)}"] if m.shared else []
    if m.years:
        parts.append(f"年份 {'、'.join(map(str, m.years))} 一致")
    if m.docnos:
        parts.append(f"文号 {'、'.join(m.docnos)} 一致")
    parts.append(f"相似度 {getattr(m, 'min_score', getattr(m, 'score', 1.0)):.2f}")
    return "；".join(parts)


def group(records: Iterable[tuple[Hashable, str]], th: Thresholds = Thresholds(), *,
          features_of=features) -> list[Group]:
    """Group descriptions asking for the same information, in one pass over `records`.

    Each member matches its group's representative (the first description of the group), and
    the first member that gives a year, 文号 or number pins it for the group: no chains, so a
    year-less description never joins 2024's and 2025's requests together. Candidates come from
    an inverted index of representatives' terms, blocked by the numbers (see _blocks) and looked
    up by the description's rarest subject terms; at most `th.max_candidates` are scored per
    description, so the work is about linear. Kept: representatives' features, the index, one
    entry per distinct text and the member keys. `features_of` lets the bench try other
    segmenters."""
    groups: list[Group] = []
    reps: list[Features] = []
    index: dict[tuple, list[int]] = {}       # (term, blocks) -> groups, see _blocks
    by_text: dict[str, int] = {}             # a text seen before joins the same group unscored
    for key, text in records:
        gi = by_text.get(text)
        if gi is None:
            gi = by_text[text] = _place(features_of(text), groups, reps, index, th)
        g = groups[gi]
        if g.representative is None:
            g.representative = key
        g.members.append(key)
    return groups


def _place(f: Features, groups: list[Group], reps: list[Features], index: dict, th: Thresholds) -> int:
    """The group that f joins, a new one if no representative matches."""
    # the subject is what identifies the information: look up by it when there is one
    lookup = [t for t in f.terms if t not in _WORD_SET and (t, _ANY) in index] if len(f.terms) > f.n_words else []
    rare = sorted((len(index[(t, _ANY)]), t) for t in lookup or f.terms if (t, _ANY) in index)[:th.rare_terms]
    hits = _candidates(index, [t for _, t in rare], _blocks(f), th.scan)
    best, best_s, compared = -1, 0.0, 0
    # those sharing most rare terms first, newest first among equals; a perfect match ends it
    for gi, _n in hits.most_common(th.scan):
        if f.kinds and reps[gi].kinds and f.kinds.isdisjoint(reps[gi].kinds):
            continue          # most candidates fail here: keep it cheap
        compared += 1
        if compared > th.max_candidates:
            break
        m = _gated(f, reps[gi], th)
        if m and m[0] > best_s:
            best, best_s = gi, m[0]
            if best_s >= 1.0:
                break
    if best < 0:
        groups.append(Group(None, f.text, shared=f.segments, years=tuple(sorted(f.years)),
                            docnos=tuple(docno_text(*d) for d in sorted(f.docnos))))
        reps.append(f)
        entries = list(itertools.product(*[(v, "*") for v in _blocks(f)]))
        for t in f.terms:
            for block in entries:
                index.setdefault((t, block), []).append(len(reps) - 1)
        return len(reps) - 1
    g, r = groups[best], reps[best]
    shared = shared_segments(r, f)
    g.shared = tuple(s for s in g.shared if s in shared)
    g.years = tuple(y for y in g.years if y in f.years) if f.years else g.years
    g.min_score = min(g.min_score, round(best_s, 3))
    if not r.years and f.years or not r.numbers and f.numbers or not r.docnos and f.docnos:
        reps[best] = replace(r, years=r.years or f.years, numbers=r.numbers or f.numbers,
                             docnos=r.docnos or f.docnos)     # the first member with numbers pins them
    return best


# Blocking on the numbers, which must agree: a representative is indexed under its (first year,
# first number, first 文号) and every wildcard ("*") of them, a description looks up its own
# values or "none" (0) for the ones it gives and "*" for the ones it does not; so a 2025 request
# never scans 2024's groups, nor 一期 those of 二期.
_ANY = ("*", "*", "*")


def _blocks(f: Features) -> tuple:
    return (min(f.years) if f.years else 0, min(f.numbers) if f.numbers else 0,
            min(d[1:] for d in f.docnos) if f.docnos else 0)


def _candidates(index: dict, terms: list[str], blocks: tuple, limit: int) -> Counter:
    """Representatives sharing a term whose numbers may agree (the newest `limit` of each
    list), with how many of the terms they share; counted in C (Counter.update)."""
    hits: Counter = Counter()
    keys = list(itertools.product(*[(v, 0) if v else ("*",) for v in blocks]))
    for t in terms:
        for block in keys:
            found = index.get((t, block))
            if found:
                hits.update(reversed(found[-limit:]))
    return hits


def item_key(title: str, number: str = "", body: str = "") -> tuple[str, str, str]:
    """Key of a clerk-recorded item: (文号 as 发文字〔年〕号, title, issuing body), each normalised so that
    bracket variants, full-width digits and spacing agree. Callers match structured items on it first."""
    f = features(number or "")
    doc = docno_text(*min(f.docnos)) if f.docnos else _plain(number)
    return doc, _plain(title), _plain(body)


def _plain(s: str) -> str:
    s = unicodedata.normalize("NFKC", s or "").lower()
    return "".join(ch for ch in s if unicodedata.category(ch)[0] not in "PSZC")
