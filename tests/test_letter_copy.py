"""`ogi letter copy CASE 文书 --out FILE`: a clerk's copy of a recorded letter (to print or send),
byte for byte what the history records, refused when the file no longer matches."""
from __future__ import annotations

from pathlib import Path


def test_copy_is_the_recorded_letter(ogi, tmp_path):
    case = ogi.register()
    rows = ogi.json("letter", "list", str(case["id"]))
    receipt = next(r for r in rows if r["kind"] == "receipt")
    out = tmp_path / "回执.pdf"
    r = ogi.ok("letter", "copy", str(case["id"]), "登记回执", "--out", str(out))
    assert "已另存" in r.stdout and receipt["number"] in r.stdout
    assert out.read_bytes() == Path(receipt["path"]).read_bytes()
    by_number = ogi.json("letter", "copy", str(case["id"]), receipt["number"], "--out", str(tmp_path / "2.pdf"))
    assert by_number["number"] == receipt["number"] and by_number["sha256"] == receipt["sha256"]
    ogi.ok("letter", "copy", str(case["id"]), "登记回执", "--docx", "--out", str(tmp_path / "回执.docx"))
    assert (tmp_path / "回执.docx").read_bytes()[:2] == b"PK"


def test_copy_refuses_a_changed_file_and_names_what_exists(ogi, tmp_path):
    case = ogi.register()
    receipt = next(r for r in ogi.json("letter", "list", str(case["id"])) if r["kind"] == "receipt")
    r = ogi("letter", "copy", str(case["id"]), "答复书", "--out", str(tmp_path / "x.pdf"))
    assert r.exit_code == 1 and receipt["number"] in r.stderr and not (tmp_path / "x.pdf").exists()
    Path(receipt["path"]).write_bytes(Path(receipt["path"]).read_bytes() + b"%tampered")
    r = ogi("letter", "copy", str(case["id"]), "登记回执", "--out", str(tmp_path / "y.pdf"))
    assert r.exit_code == 1 and "不一致" in r.stderr and not (tmp_path / "y.pdf").exists()
