"""Near-duplicate request descriptions (issue 17): precision/recall on the labelled set, and
time and memory of `group()` on a synthetic corpus.

    .venv/bin/python bench/bench_similarity.py [--sizes 10000,100000] [--alternatives]

  labelled set      tests/data/repeated_labelled.toml (a pair is positive iff same label);
                    pairwise precision and recall of the pairs `group()` puts together;
                    targets precision >= 0.95, recall >= 0.85
  --alternatives    the same rules with words from jieba / rjieba instead of the lexicon, and
                    rapidfuzz token_set_ratio behind the same number gates (all pairs, the best
                    threshold); each library only if installed
  synthetic corpus  templates x places x years x phrasings, seeded (random.Random(17)): many
                    applicants ask for the same thing in their own words
  baseline          exact grouping on engine.store.keys.normalise (today's repeated.py) on the
                    same corpus in the same run: "ratio x baseline"
Figures of 2026-12-06 (load 4-6 on 2 cores, so seconds are inflated; ratios are what count):
  labelled 269: precision 1.000 recall 0.975 (tuned part 1.000/0.988, held out 1.000/0.875 and
  1.000/1.000); jieba words 0.979/0.870, group(20k) 9.7 s against 5.0 s, dictionary load 1.0 s;
  rjieba words 0.979/0.870, 5.9 s; rapidfuzz token_set_ratio 0.972/0.886 at its best threshold
  (all pairs; 0.7-1.4 us a pair against sim.match's 6.5 us, but it only scores); synthetic
  corpus precision 1.000 recall 1.000; group(100k) 27.6 s = 29.9x the exact-key baseline (0.92 s),
  peak RSS 149 MiB (+106 MiB over the corpus itself). MinHash/LSH (datasketch) was not tried: it
  brings numpy/scipy, and an inverted index blocked by the numbers that must agree bounds the
  candidates already.
Peak RSS (resource.getrusage ru_maxrss) is the process's: each size runs in a child process so
that one size's peak does not hide the next one's. Times are for orientation (bench/README.md).
"""
from __future__ import annotations

import argparse
import itertools
import json
import random
import resource
import subprocess
import sys
import time
import tomllib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, header, python  # noqa: E402

from ogi.engine.legal import similarity as sim  # noqa: E402
from ogi.engine.store.keys import normalise  # noqa: E402

LABELLED = ROOT / "tests" / "data" / "repeated_labelled.toml"


PARTS = {"tuned on": False, "held out 1": True, "held out 2": 2}   # the groups' `holdout` value


def labelled(part=None) -> list[tuple[str, str]]:
    """(label, text) for the labelled descriptions (of one part: see PARTS), in file order."""
    data = tomllib.loads(LABELLED.read_text(encoding="utf-8"))
    return [(g["label"], t) for g in data["group"] if part is None or g.get("holdout", False) == part
            for t in g["texts"]]


def pairs_of(groups) -> set[tuple[int, int]]:
    out = set()
    for members in groups:
        out.update(itertools.combinations(sorted(members), 2))
    return out


def precision_recall(found: set, truth: set) -> tuple[float, float]:
    tp = len(found & truth)
    return (tp / len(found) if found else 1.0), (tp / len(truth) if truth else 1.0)


def evaluate(th=sim.Thresholds(), features_of=sim.features, part=None) -> tuple[float, float, list]:
    rows = labelled(part)
    truth = pairs_of([[i for i, (lab, _) in enumerate(rows) if lab == label] for label in {r[0] for r in rows}])
    groups = sim.group(((i, text) for i, (_, text) in enumerate(rows)), th, features_of=features_of)
    found = pairs_of([g.members for g in groups])
    p, r = precision_recall(found, truth)
    wrong = sorted(found - truth)
    return p, r, [(rows[a][1], rows[b][1]) for a, b in wrong]


# --- alternatives: the same numbers, gates and weights, other words --------------------------

def _word_features(cut):
    def features_of(text: str) -> sim.Features:
        s, years, docnos, numbers = sim.extract(text)
        words = [w for run in sim._RUNS.findall(s) for w in cut(run) if w not in sim._DROP_SET]
        terms = frozenset(w if w in sim._WORD_SET else "#" + w for w in words)
        return sim.Features(text, tuple(dict.fromkeys(words)), terms, years, docnos, numbers, terms & sim._KINDS,
                            len(terms & sim._WORD_SET))
    return features_of


def _time_group(features_of, n: int = 20000) -> float:
    records = list(corpus(n))
    t = time.perf_counter()
    sim.group(records, features_of=features_of)
    return time.perf_counter() - t


def alternatives(th: sim.Thresholds) -> None:
    try:
        import logging

        import jieba
        jieba.setLogLevel(logging.WARNING)
        t = time.perf_counter()
        jieba.initialize()
        load = time.perf_counter() - t
        cut = _word_features(lambda s: jieba.lcut(s, HMM=False))
        p, r, _ = evaluate(th, cut)
        print(f"   jieba words (dictionary load {load:.2f} s)   precision {p:.3f}  recall {r:.3f}  "
              f"group(20k) {_time_group(cut):.2f} s vs lexicon {_time_group(sim.features):.2f} s")
    except ImportError:
        print("   jieba: not installed")
    try:
        import rjieba
        cut = _word_features(lambda s: rjieba.cut(s, False))
        p, r, _ = evaluate(th, cut)
        print(f"   rjieba words                        precision {p:.3f}  recall {r:.3f}  "
              f"group(20k) {_time_group(cut):.2f} s")
    except ImportError:
        print("   rjieba: not installed")
    try:
        from rapidfuzz import fuzz
    except ImportError:
        print("   rapidfuzz: not installed")
        return
    rows = labelled()
    feats = [sim.features(t) for _, t in rows]
    clean = ["".join(f.segments) for f in feats]
    scored = []
    for i, j in itertools.combinations(range(len(rows)), 2):
        gate = sim.match(feats[i], feats[j], sim.Thresholds(score=0.0))
        s = fuzz.token_set_ratio(" ".join(feats[i].segments), " ".join(feats[j].segments)) / 100 if gate else 0.0
        if not (clean[i] and clean[j]):
            s = 0.0
        scored.append((s, rows[i][0] == rows[j][0]))
    positives = sum(1 for _, same in scored if same)
    best = None
    for cut in [x / 100 for x in range(50, 100, 2)]:
        tp = sum(1 for s, same in scored if s >= cut and same)
        fp = sum(1 for s, same in scored if s >= cut and not same)
        p, r = (tp / (tp + fp) if tp + fp else 1.0), tp / positives
        if r >= 0.85 and (best is None or p > best[1]):
            best = (cut, p, r)
    a, b = " ".join(feats[0].segments), " ".join(feats[1].segments)
    t = time.perf_counter()
    for _ in range(100_000):
        fuzz.token_set_ratio(a, b)
    per_fuzz = (time.perf_counter() - t) * 10
    t = time.perf_counter()
    for _ in range(100_000):
        sim.match(feats[0], feats[1], th)
    per_match = (time.perf_counter() - t) * 10
    print(f"   one pair: rapidfuzz {per_fuzz:.2f} us, sim.match {per_match:.2f} us (features already made)")
    if best:
        print(f"   rapidfuzz token_set_ratio >= {best[0]:.2f}  precision {best[1]:.3f}  recall {best[2]:.3f} "
              "(all pairs, best threshold at recall >= 0.85)")


# --- synthetic corpus ----------------------------------------------------------------------------

PLACES = [a + b for a in "人民 解放 中山 建设 和平 胜利 新华 滨江 北关 青山 红旗 阳光 东风 光明 幸福 长江 黄河 文化 育才 朝阳".split()
          for b in ("路", "街", "大道", "片区", "村", "小区", "社区", "镇")]
TEMPLATES = ["{y}年{p}改造工程立项批复", "{p}改造项目（{y}年）征收补偿方案", "{y}年度{p}环境影响评价报告",
             "{p}安置房分配名单（{y}年）", "{y}年{p}道路拓宽工程招标文件", "{p}{ph}期建设工程规划许可证",
             "{y}年{p}财政补贴资金明细", "{p}管理处{y}年度预算", "{y}年{m}月{p}整治会议纪要",
             "{iss}〔{y}〕{n}号文件", "{p}违法建设行政处罚决定书（{y}）", "{p}{ph}期供水管网初步设计批复"]
BEFORE = ["", "", "请公开", "申请公开", "本人申请公开", "请依法公开", "关于", "请提供"]
AFTER = ["", "", "的文件", "全文", "复印件", "及附件", "相关信息", "的政府信息"]
ISSUERS = ["京政办发", "合政", "环罚", "市监罚", "区府发", "建城"]
PHASES = "一二三"


def corpus(n: int, seed: int = 17, labels: bool = False):
    """(i, text) or (i, text, label): label is the template filled in, before the wording varies."""
    rnd = random.Random(seed)
    wide = str.maketrans("0123456789", "０１２３４５６７８９")
    for i in range(n):
        params = {"y": str(rnd.choice(range(2018, 2027))), "p": rnd.choice(PLACES), "ph": rnd.choice(PHASES),
                  "m": rnd.randint(1, 12), "iss": rnd.choice(ISSUERS), "n": rnd.randint(1, 60)}
        t = rnd.choice(TEMPLATES)
        label = t.format(**params)
        if rnd.random() < 0.1:
            params["y"] = params["y"].translate(wide)
        text = t.format(**params)
        if rnd.random() < 0.3:
            text = text.replace("〔", rnd.choice("[(（")).replace("〕", "]")
        text = rnd.choice(BEFORE) + text + rnd.choice(AFTER)
        yield (i, text, label) if labels else (i, text)


def synthetic_precision_recall(n: int) -> tuple[float, float]:
    """Pairwise precision and recall of group() on the synthetic corpus, counted without listing pairs."""
    from collections import Counter

    rows = list(corpus(n, labels=True))
    label = {i: lab for i, _, lab in rows}
    groups = sim.group((i, text) for i, text, _ in rows)
    pairs = lambda counts: sum(c * (c - 1) // 2 for c in counts)  # noqa: E731
    found = pairs(len(g.members) for g in groups)
    tp = sum(pairs(Counter(label[k] for k in g.members).values()) for g in groups)
    truth = pairs(Counter(label.values()).values())
    return tp / found if found else 1.0, tp / truth if truth else 1.0


def baseline_group(records) -> int:
    groups: dict[str, list] = {}
    for key, text in records:
        groups.setdefault(normalise(text), []).append(key)
    return len(groups)


def run_size(n: int, what: str) -> dict:
    """One measurement in this process (the parent runs each in a child): time and peak RSS."""
    records = list(corpus(n))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t = time.perf_counter()
    count = baseline_group(records) if what == "baseline" else len(sim.group(records))
    secs = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"n": n, "what": what, "seconds": secs, "groups": count, "rss_kib": peak, "rss_growth_kib": peak - before}


def child(n: int, what: str) -> dict:
    out = subprocess.run([python(), __file__, "--child", what, "--sizes", str(n)], capture_output=True, text=True,
                         check=True, cwd=ROOT)
    return json.loads(out.stdout)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10000,100000", help="corpus sizes, comma separated")
    ap.add_argument("--alternatives", action="store_true", help="also measure jieba, rjieba, rapidfuzz")
    ap.add_argument("--child", choices=("baseline", "similarity"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    sizes = [int(x) for x in args.sizes.split(",")]
    if args.child:
        print(json.dumps(run_size(sizes[0], args.child)))
        return
    header("bench_similarity", "near-duplicate request descriptions (issue 17)")
    # children first: Linux hands a parent's peak RSS down to its children, so they start small
    timings = [(size, child(size, "baseline"), child(size, "similarity")) for size in sizes]
    th = sim.Thresholds()
    p, r, wrong = evaluate(th)
    n = len(labelled())
    print(f"\nlabelled set ({n} descriptions): precision {p:.3f}  recall {r:.3f}  "
          f"(targets 0.95 / 0.85: {'met' if p >= 0.95 and r >= 0.85 else 'MISSED'})")
    for name, part in PARTS.items():
        pp, pr, _ = evaluate(th, part=part)
        print(f"   {name:11} ({len(labelled(part)):3} descriptions)  precision {pp:.3f}  recall {pr:.3f}")
    for a, b in wrong[:10]:
        print(f"   false pair: {a} | {b}")
    if args.alternatives:
        alternatives(th)
    m = min(sizes[0], 20000)
    sp, sr = synthetic_precision_recall(m)
    print(f"synthetic corpus ({m:,}, labels = template before rewording): precision {sp:.3f}  recall {sr:.3f}")
    print(f"\n{'corpus':>8} {'what':12} {'seconds':>8} {'groups':>8} {'peak RSS':>10} {'RSS growth':>11} {'ratio':>10}")
    for size, base, ours in timings:
        for row in (base, ours):
            ratio = row["seconds"] / base["seconds"]
            print(f"{size:>8,} {row['what']:12} {row['seconds']:8.2f} {row['groups']:8,} "
                  f"{row['rss_kib'] / 1024:8.1f} MiB {row['rss_growth_kib'] / 1024:8.1f} MiB {ratio:9.1f}x baseline")


if __name__ == "__main__":
    main()
