"""The fast start of `ogi case show` (cli_fast.py) says exactly what the Typer path says:
the same stdout, stderr and exit code for every case shape, with and without --json, and for
every error; argv it does not recognise, and failures it cannot word itself, go to the Typer
path. Behaviour only: no timings here (bench/bench_cli.py measures)."""
from __future__ import annotations

from pathlib import Path

import os
import subprocess
import sys

import pytest

from ogi import cli, cli_fast


def _both(capsys, argv: list[str]):
    """(fast, normal): each (exit code, stdout, stderr); fast's code None = not taken."""
    capsys.readouterr()
    code = cli_fast.try_fast(list(argv))
    fast = (code, *capsys.readouterr())
    code = cli.main(list(argv))
    normal = (code, *capsys.readouterr())
    return fast, normal


def _same(capsys, argv: list[str]) -> tuple:
    fast, normal = _both(capsys, argv)
    assert fast[0] is not None, f"`ogi {' '.join(argv)}` did not take the fast path"
    assert fast == normal, f"`ogi {' '.join(argv)}`:\nfast:   {fast!r}\nnormal: {normal!r}"
    return normal


@pytest.fixture
def no_render(monkeypatch):
    """Letters stay pending (no PDF rendering): quicker, and a state of its own to show."""
    from ogi.engine.cases import documents as letters_service

    monkeypatch.setattr(letters_service, "render_pending", lambda *a, **k: [])


def _fresh(ogi):
    ogi.json("case", "register", "--applicant", "张三", "--applicant-type", "natural", "--channel", "in_person",
             "--received", "2026-09-24", "--description", "某项目批复 [bold]原样[/] 显示",
             "--phone", "13800001234", "--id-number", "110101199001011234")


def _consulting(ogi):
    ogi.register("2026-09-24")
    ogi.ok("case", "accept", "1", "--date", "2026-09-25")
    ogi.ok("case", "consult", "1", "--party", "某公司", "--kind", "third_party", "--date", "2026-09-28")
    ogi.ok("case", "consultation-reply", "1", "--opinion", "agree", "--date", "2026-10-09")
    ogi.ok("case", "consult", "1", "--party", "市自然资源局", "--kind", "agency", "--date", "2026-10-12")


def _correction(ogi):
    ogi.register("2026-09-24")
    ogi.ok("case", "request-correction", "1", "--items", "请写明文号", "--date", "2026-09-28")


def _closed(ogi):
    ogi.register("2026-09-24")
    ogi.ok("case", "accept", "1", "--date", "2026-09-25")
    ogi.ok("case", "propose", "1", "--outcome", "disclose", "--date", "2026-10-12")
    ogi.ok("case", "decide", "1", "--date", "2026-10-12")
    ogi.ok("case", "approve", "1", "--date", "2026-10-13", user="wang")
    ogi.ok("case", "deliver", "1", "--method", "direct", "--date", "2026-10-14")


def _year_end(ogi):
    # the answer is due in a year whose notice is not shipped
    ogi.register("2026-12-21")
    ogi.ok("case", "accept", "1", "--date", "2026-12-22")


SCENARIOS = {"fresh": _fresh, "consulting": _consulting, "correction": _correction, "closed": _closed,
             "year_end": _year_end}


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_fast_path_prints_what_the_typer_path_prints(ogi_sqlite, capsys, no_render, scenario):
    SCENARIOS[scenario](ogi_sqlite)
    number = ogi_sqlite.json("case", "show", "1")["number"]
    for argv in (["case", "show", "1"], ["case", "show", "1", "--json"], ["case", "show", "--json", number],
                 ["case", "show", "1", "--as", "wang"], ["case", "show", "--as=zhao", "--json", "1"],
                 ["case", "show", "1", "--as", "admin"]):
        _same(capsys, argv)


def test_rendered_letters_are_listed_alike(ogi_sqlite, capsys):
    from ogi.commands.render import case_full_lines

    ogi = ogi_sqlite
    ogi.register("2026-09-24")
    ogi.ok("case", "accept", "1", "--date", "2026-09-25")
    shown = ogi.json("case", "show", "1")
    assert shown["letters"] and all(l["path"] for l in shown["letters"])
    _same(capsys, ["case", "show", "1"])
    _same(capsys, ["case", "show", "1", "--json"])
    # nothing cut off, however narrow: every 文号 whole on one line, the kind in Chinese, and the
    # folder of the files named, whole on a line of its own
    for width in (60, 80, 1000):
        lines = case_full_lines(shown, width)
        table = lines[lines.index(next(x for x in lines if x.strip() == "文书")):]
        end = next(i for i, x in enumerate(table) if x.startswith("└"))
        body = [x for x in table[:end] if x.startswith("│")]
        assert [x.split("│")[1].strip() for x in body] == [l["number"] for l in shown["letters"]]
        assert "登记回执" in body[0] and "已生成" in body[0]
        folder = str(Path(shown["letters"][0]["path"]).parent)
        assert table[end + 1] == "文书文件位于：" and table[end + 2] == f"  {folder}"


def _columns(table: list[str]) -> list[str]:
    """Each column's text over all body lines of a drawn table, spaces removed."""
    cols: list[str] = []
    for line in table:
        if line.startswith("│"):
            parts = line.strip("│").split("│")
            cols = cols or [""] * len(parts)
            cols = [c + p.replace(" ", "") for c, p in zip(cols, parts)]
    return cols


def test_human_output_shows_stored_text_verbatim(ogi_sqlite, capsys, no_render):
    _fresh(ogi_sqlite)
    out = _same(capsys, ["case", "show", "1"])[1]
    assert "某项目批复 [bold]原样[/] 显示" in out  # no markup interpretation
    assert "110101199001011234" in out  # a clerk sees the ID number in clear
    masked = _same(capsys, ["case", "show", "1", "--as", "wang"])[1]
    assert "110101199001011234" not in masked and "13800001234" not in masked


@pytest.mark.parametrize("argv", [
    ["case", "show", "99"],
    ["case", "show", "2026-9999", "--json"],
    ["case", "show", "abc"],
    ["case", "show", "１"],
    ["case", "show", "99999999999999999999999"],
    ["case", "show", "1", "--as", "nobody"],
    ["case", "show", "--as=nobody", "1", "--json"],
    ["case", "show", "1; DROP TABLE cases"],
], ids=repr)
def test_errors_are_worded_alike(ogi_sqlite, capsys, no_render, argv):
    ogi_sqlite.register("2026-09-24")
    code, out, err = _same(capsys, argv)
    assert code == 1 and err.startswith("错误：") and len(err.splitlines()) == 1
    assert ("--json" in argv) == bool(out)


def test_no_user_and_broken_config_are_worded_alike(ogi_sqlite, capsys, monkeypatch, no_render):
    ogi_sqlite.register("2026-09-24")
    monkeypatch.delenv("OGI_USER")
    monkeypatch.setattr("getpass.getuser", lambda: "nobody-here")
    code, _, err = _same(capsys, ["case", "show", "1"])
    assert code == 1 and "OGI_USER" in err
    monkeypatch.setenv("OGI_USER", "li")
    (ogi_sqlite.home / "ogi.toml").write_text("[agency\nname = 1\n", encoding="utf-8")
    code, _, err = _same(capsys, ["case", "show", "1", "--json"])
    assert code == 1 and "配置文件" in err


def test_no_database_goes_the_typer_way(tmp_path, monkeypatch, capsys):
    from conftest import training_config

    monkeypatch.setenv("OGI_HOME", str(tmp_path / "empty"))
    monkeypatch.setenv("OGI_USER", "li")
    monkeypatch.delenv("OGI_DATABASE_URL", raising=False)
    monkeypatch.setenv("OGI_CONFIG", str(training_config(tmp_path / "ogi.toml")))  # li may be declared
    (fast, _, _), (code, _, err) = _both(capsys, ["case", "show", "1"])
    assert fast is None and code == 1 and "ogi init" in err
    assert not (tmp_path / "empty" / "ogi.db").exists()
    # an empty file where the database should be: sqlite3's error is the Typer path's to word
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "ogi.db").write_bytes(b"")
    (fast, _, _), (code, _, err) = _both(capsys, ["case", "show", "1"])
    assert fast is None and code == 1 and "ogi init" in err
    # PostgreSQL is never the fast path's business
    monkeypatch.setenv("OGI_DATABASE_URL", "postgresql://postgres@127.0.0.1:1/none")
    assert cli_fast.try_fast(["case", "show", "1"]) is None


@pytest.mark.parametrize("argv, expected", [
    (["case", "show", "1"], ("1", None, False)),
    (["case", "show", "1", "--json"], ("1", None, True)),
    (["case", "show", "--json", "2026-0001"], ("2026-0001", None, True)),
    (["case", "show", "--as", "wang", "1"], ("1", "wang", False)),
    (["case", "show", "1", "--as=wang", "--json"], ("1", "wang", True)),
    (["case", "show"], None),
    (["case", "show", "-h"], None),
    (["case", "show", "1", "--help"], None),
    (["case", "show", "1", "2"], None),
    (["case", "show", "1", "--json", "--json"], None),
    (["case", "show", "1", "--as"], None),
    (["case", "show", "1", "--as", "--json"], None),
    (["case", "show", "1", "--as", "a", "--as", "b"], None),
    (["case", "show", "1", "--as="], None),
    (["case", "show", "--", "1"], None),
    (["case", "show", "-1"], None),
    (["case", "show", ""], None),
    (["case", "show", "1", "--js"], None),
    (["case", "list"], None),
    (["--json", "case", "show", "1"], None),
    (["show", "1"], None),
    ([], None),
])
def test_only_the_exact_shape_is_taken(argv, expected):
    assert cli_fast.parse(argv) == expected


# --------------------------------------------------------------------------- the console script

def _console(argv: list[str], env: dict | None = None) -> tuple[int, str, str]:
    """`ogi ARGV` as the console script runs it (cli.run: fast path, then os._exit)."""
    code = "import sys; sys.argv[0] = 'ogi'; from ogi.cli import run; run()"
    base = {k: v for k, v in os.environ.items() if k != "OGI_NO_FAST"}
    r = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True, timeout=120,
                       env={**base, **(env or {})})
    return r.returncode, r.stdout, r.stderr


def test_console_script_fast_and_typer_paths_agree(ogi_sqlite, no_render):
    _consulting(ogi_sqlite)
    for argv in (["case", "show", "1"], ["case", "show", "1", "--json"], ["case", "show", "99"],
                 ["case", "show", "1", "--as", "nobody", "--json"], ["case", "show", "1", "--bogus"]):
        fast = _console(argv)
        assert fast == _console(argv, {"OGI_NO_FAST": "1"}), argv
    assert _console(["case", "show", "1", "--json"])[0] == 0


def test_console_script_without_database(tmp_path):
    env = {"OGI_HOME": str(tmp_path / "none"), "OGI_USER": "li", "OGI_DATABASE_URL": ""}
    fast = _console(["case", "show", "1"], env)
    assert fast == _console(["case", "show", "1"], {**env, "OGI_NO_FAST": "1"})
    assert fast[0] == 1 and "ogi init" in fast[2]


# --------------------------------------------------------------------------- the renderer

def test_tables_align_cjk_and_wrap_without_losing_text():
    from ogi.commands.render import table_lines, text_width

    rows = [("1", "某某市自然资源和规划局（不动产登记中心）", "2026-09-28 10:00", "agree"),
            ("22", "O'Brien & Co.", "2026-10-09", "")]
    for width in (200, 60, 40):
        lines = table_lines("征求意见", ("编号", "对象", "发出", "意见"), rows, width)
        assert lines[0].strip() == "征求意见"
        frame = lines[1:]
        assert len({text_width(line) for line in frame}) == 1, lines  # every line as wide as the frame
        assert width == 200 or text_width(frame[0]) <= width
        assert width < 200 or len(frame) == 6  # wide enough: one line a row
        assert _columns(frame) == ["".join(r[i] for r in rows).replace(" ", "") for i in range(4)]
    assert text_width("案件ab") == 6 and text_width("├─┤") == 3 and text_width("　") == 2
