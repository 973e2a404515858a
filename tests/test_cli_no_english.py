"""A scripted week of a clerk's work, read the way the clerk reads it: no English words in what
ogi prints, outside the stable codes (shown beside their Chinese labels), command and option
names, paths and file names, and JSON (not checked here: `--json` keeps the codes by design)."""
from __future__ import annotations

import re

import pytest

# What may appear in Latin letters: command and option names, file names, and abbreviations a
# clerk reads as such.
ALLOWED = {"ogi", "PDF", "DOCX", "CSV", "JSON", "ID", "SHA", "PNG", "SVG", "HTML", "GB", "T", "A4", "WD", "OGI",
           "SQLite", "PostgreSQL", "Word", "Excel", "pdf", "docx", "csv", "json", "png", "svg", "html", "toml", "db",
           "Tab", "bash", "zsh"}


def known_codes() -> set[str]:
    from ogi.letters.kinds import LetterKind
    from ogi.states import vocabulary as v
    from ogi.states.machine import CaseState, Trigger
    from ogi.states.outcomes import OUTCOMES, Family

    codes = set(OUTCOMES) | {s.value for s in CaseState} | {t.value for t in Trigger} | {k.value for k in LetterKind}
    codes |= {f.value for f in Family}
    for name in dir(v):
        table = getattr(v, name)
        if isinstance(table, dict) and all(isinstance(k, str) for k in table):
            codes |= set(table)
    return codes | command_names() | {"li", "chen", "wang", "zhou", "zhao", "admin"}  # the default config's logins


def command_names() -> set[str]:
    """`ogi case outcomes` in a hint: command names are typed as they are, like option names."""
    import typer.main

    from ogi.cli import _app

    names, todo = set(), [typer.main.get_command(_app())]
    while todo:
        cmd = todo.pop()
        for name, sub in getattr(cmd, "commands", {}).items():
            names |= set(name.split("-")) | {name}
            todo.append(sub)
    return names


def english_words(text: str, codes: set[str]) -> list[str]:
    found = []
    for line in text.splitlines():
        cleaned = re.sub(r"\S*[/\\]\S*", " ", line)           # paths
        cleaned = re.sub(r"(?<![\w-])--?[a-z][\w-]*", " ", cleaned)  # option names
        cleaned = re.sub(r"[\w.-]+\.(pdf|docx|csv|json|png|svg|html|toml|db)\b", " ", cleaned)
        cleaned = re.sub(r"\bOGI_[A-Z_]+\b", " ", cleaned)     # environment variables
        for word in re.findall(r"[A-Za-z][A-Za-z_-]*[A-Za-z]|[A-Za-z]", cleaned):
            bare = word.strip("-_")
            if bare in ALLOWED or bare in codes or bare.replace("-", "_") in codes:
                continue
            found.append(f"{word!r} in: {line.strip()}")
    return found


# (actor, argv, expected exit code): a registration to delivery, with the usual detours and
# mistakes; every one of these outputs is read by a clerk, a head or the legal office.
SESSION = [
    ("li", ["users"], 0),
    ("li", ["case", "register", "--applicant", "张三", "--applicant-type", "自然人", "--channel", "当面提交",
            "--received", "2026-09-24", "--description", "2025年人民路改造工程立项批复", "--address", "示例市东风路8号"], 0),
    ("li", ["case", "register", "--applicant", "示例科技有限公司", "--applicant-type", "商业企业", "--channel", "邮寄",
            "--received", "2026-09-25", "--description", "某小区规划许可证"], 0),
    ("li", ["case", "accept", "1", "--date", "2026-09-25"], 0),
    ("li", ["case", "accept", "2", "--date", "2026-09-28"], 0),
    ("li", ["case", "consult", "1", "--party", "示例建设有限公司", "--kind", "第三方", "--information", "施工合同",
            "--date", "2026-10-12"], 0),
    ("li", ["case", "show", "1"], 0),
    ("li", ["case", "consultation-reply", "1", "--opinion", "不同意", "--reason", "涉及商业秘密", "--date", "2026-10-20"], 0),
    ("li", ["case", "propose", "1", "--outcome", "不予公开（保护第三方合法权益）", "--reason", "涉及商业秘密",
            "--date", "2026-10-21"], 0),
    ("li", ["case", "decide", "1", "--date", "2026-10-21"], 0),
    ("li", ["case", "approve", "1", "--date", "2026-10-22"], 1),   # the proposer may not approve
    ("wang", ["case", "approve", "1", "--date", "2026-10-22"], 0),
    ("li", ["case", "deliver", "1", "--method", "邮寄送达", "--date", "2026-10-23"], 0),
    ("li", ["case", "history", "1"], 0),
    ("li", ["case", "explain", "1"], 0),
    ("li", ["case", "explain", "2"], 0),
    ("li", ["case", "show", "2"], 0),                             # overdue by 2026-12-31
    ("li", ["case", "list"], 0),
    ("li", ["case", "list", "--overdue"], 0),
    ("li", ["letter", "list", "1"], 0),
    ("li", ["case", "outcomes"], 0),
    ("li", ["calendar", "show", "2026"], 0),
    ("li", ["calendar", "add", "2026-09-30", "5"], 0),
    ("zhao", ["check", "--all"], None),
    ("zhao", ["audit", "verify"], 0),
    ("zhao", ["report", "annual", "--year", "2026"], 0),
    ("li", ["warnings", "sweep"], None),
    ("li", ["warnings", "list"], 0),
    # mistakes
    ("li", ["case", "show", "99"], 1),
    ("li", ["case", "accept", "1", "--date", "2026-13-01"], 1),
    ("li", ["case", "propose", "2", "--outcome", "公开一下"], 1),
    ("li", ["case", "deliver", "2", "--method", "直接送达", "--date", "2026-10-23"], 1),
    ("li", ["case", "lst"], 2),
    ("li", ["case", "accept"], 2),
    ("li", ["calendar", "add", "2031-01-05", "3"], 1),
    ("li", ["case"], 0),
    ("li", ["case", "propose", "-h"], 0),
    ("li", ["-h"], 0),
]


def test_a_clerks_week_reads_in_chinese(ogi_sqlite, monkeypatch):
    from legal_support import no_letters

    no_letters(monkeypatch)  # the letters' PDF texts are checked by the golden tests
    monkeypatch.setenv("COLUMNS", "80")
    codes = known_codes()
    problems = []
    for actor, argv, expected in SESSION:
        r = ogi_sqlite(*argv, user=actor)
        if expected is not None:
            assert r.exit_code == expected, f"ogi {' '.join(argv)} -> {r.exit_code}: {r.stderr}{r.stdout}"
        typed = set(re.findall(r"[A-Za-z]+", " ".join(argv)))  # what the clerk typed may be echoed back
        problems += [f"ogi {' '.join(argv)}: {p}" for p in english_words(r.stdout + r.stderr, codes | typed)]
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize("text,bad", [("已送达 rendered", True), ("文书 /tmp/x/2026-reply-0001-reply.pdf", False),
                                      ("用 --date 写明", False), ("Usage: ogi", True), ("办理结果：予以公开（disclose）", False)])
def test_the_checker_itself(text, bad):
    assert bool(english_words(text, known_codes())) is bad
