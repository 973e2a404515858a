"""The applicant's ID number and contact details are in the log as keyed digests (issue 15,
item 3; engine/ledger/applicant_digest.py), and the log's public key is in the configuration
(item 2). Driven through the CLI as a clerk, an administrator and the legal office would, on
SQLite and PostgreSQL."""
from __future__ import annotations

import json
import re
import tomllib

from legal_support import sql

ID = "110101199003071234"
PHONE = "13812345678"


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def registered(ogi) -> tuple[int, int]:
    r = ogi.register("2026-09-24", "张三", "natural", "in_person", "--id-number", ID, "--phone", PHONE,
                     "--address", "人民路1号", "--email", "zs@example.cn")
    app = sql(ogi, f"SELECT applicant_id FROM cases WHERE id = {r['id']}")[0][0]
    return r["id"], app


def verify(ogi):
    r = ogi("audit", "verify", "--json", user="zhao")
    return r.exit_code, r.json


def test_history_holds_digests_not_the_values(ogi):
    cid, _ = registered(ogi)
    history = ogi("case", "history", str(cid), "--json", user="zhao")
    assert history.exit_code == 0
    text = history.stdout
    for secret in (ID, PHONE, "人民路1号", "zs@example.cn"):
        assert secret not in text
    register = json.loads(text)["entries"][0]["data"]
    digest = register["contact_digest"]
    assert set(digest) == {"key", "id_number", "phone", "email", "address"}
    assert all(re.fullmatch(r"[0-9a-f]{32}", digest[f]) for f in ("id_number", "phone", "email", "address"))
    key = ogi.home / "keys" / "applicant.key"
    assert key.is_file() and oct(key.stat().st_mode & 0o777) == "0o600"
    assert oct(key.parent.stat().st_mode & 0o777) == "0o700"


def test_an_edited_id_number_or_contact_is_found(ogi):
    cid, app = registered(ogi)
    assert verify(ogi)[0] == 0
    for col, forged, label in (("id_number", "110101199003079999", "身份证明"), ("phone", "13900000000", "联系电话"),
                               ("address", "胜利路9号", "通讯地址"), ("email", "x@example.cn", "电子邮箱")):
        before = sql(ogi, f"SELECT {col} FROM applicant WHERE id = {app}")[0][0]
        sql(ogi, f"UPDATE applicant SET {col} = :v WHERE id = {app}", params={"v": forged})
        code, r = verify(ogi)
        assert code == 1, r
        [b] = r["broken"]
        assert b["kind"] == "derived" and b["case"] == "2026-0001"
        assert f"申请人的{label}（{col}）与登记时记录的摘要不符" in b["problem"]
        text = ogi("audit", "verify", user="zhao")
        assert text.exit_code == 1 and _flat(f"案件 2026-0001：申请人的{label}") in _flat(text.stdout)
        sql(ogi, f"UPDATE applicant SET {col} = :v WHERE id = {app}", params={"v": before})
        assert verify(ogi)[0] == 0


def test_a_logged_correction_is_the_new_truth(ogi):
    cid, app = registered(ogi)
    ogi.ok("case", "accept", str(cid), "--date", "2026-09-25")
    ogi.ok("case", "correct-contact", str(cid), "--phone", "13700000000", "--reason", "申请人来电告知新号码",
           "--date", "2026-09-28")
    assert verify(ogi)[0] == 0  # the row's new phone differs from the registered digest: the step says so
    sql(ogi, f"UPDATE applicant SET phone = '13911111111' WHERE id = {app}")
    code, r = verify(ogi)
    assert code == 1 and "联系电话（phone）为 “13911111111”，办理记录为 “13700000000”" in r["broken"][0]["problem"]
    sql(ogi, f"UPDATE applicant SET phone = '13700000000', id_number = '1' WHERE id = {app}")
    code, r = verify(ogi)
    assert code == 1 and ["身份证明（id_number）" in b["problem"] for b in r["broken"]] == [True]


def test_a_missing_or_replaced_key_is_one_finding(ogi):
    registered(ogi)
    ogi.register("2026-09-25", "李四")
    key = ogi.home / "keys" / "applicant.key"
    original = key.read_text()
    key.unlink()
    code, r = verify(ogi)
    assert code == 1 and len(r["broken"]) == 1
    assert "2 件案件的申请人身份证明和联系方式无法核对" in r["broken"][0]["problem"]
    assert str(key) in r["broken"][0]["problem"]
    key.write_text("00" * 32 + "\n")
    code, r = verify(ogi)
    assert code == 1 and len(r["broken"]) == 1 and "密钥被替换" in r["broken"][0]["problem"]
    key.write_text(original)
    assert verify(ogi)[0] == 0


def test_a_corrupt_key_stops_registration_with_one_line(ogi):
    registered(ogi)
    (ogi.home / "keys" / "applicant.key").write_text("not hex\n")
    before = sql(ogi, "SELECT COUNT(*) FROM cases")[0][0]
    r = ogi("case", "register", "--applicant", "王五", "--applicant-type", "natural", "--channel", "in_person",
            "--received", "2026-09-24", "--description", "某文件")
    assert r.exit_code != 0 and "申请人信息摘要密钥" in (r.stdout + r.stderr) and "Traceback" not in (r.stdout + r.stderr)
    assert sql(ogi, "SELECT COUNT(*) FROM cases")[0][0] == before


def test_audit_key_writes_the_verifier_into_the_config(ogi, tmp_path):
    ogi.register()
    r = ogi("audit", "key", user="admin")
    assert r.exit_code == 0, (r.stdout + r.stderr)
    verifier = next(l.strip() for l in r.stdout.splitlines() if l.startswith("ogi/"))
    assert "已写入配置文件" in r.stdout and "[ledger] verifier_key" in r.stdout
    cfg = tomllib.loads((ogi.home / "ogi.toml").read_text(encoding="utf-8"))
    assert cfg["ledger"]["verifier_key"] == verifier
    again = ogi("audit", "key", user="admin")
    assert again.exit_code == 0 and "已写入" not in again.stdout
    assert (ogi.home / "ogi.toml").read_text(encoding="utf-8").count("verifier_key") == 1
    # The configured key checks the checkpoints without --key.
    cp = tmp_path / "cp.txt"
    ogi.ok("audit", "checkpoint", "--out", str(cp), user="admin")
    ogi.register("2026-09-25", "李四")
    assert ogi("audit", "verify", "--checkpoint", str(cp), user="zhao").exit_code == 0
    # A configured key that is not the instance's: checkpoints are refused, and `audit key` says why.
    other = "ogi/其他机构+0badc0de+" + "A" * 43 + "="
    path = ogi.home / "ogi.toml"
    path.write_text(path.read_text(encoding="utf-8").replace(verifier, other), encoding="utf-8")
    bad = ogi("audit", "verify", "--checkpoint", str(cp), user="zhao")
    assert bad.exit_code == 1 and "Traceback" not in (bad.stdout + bad.stderr)
    warn = ogi("audit", "key", user="admin")
    assert "与本实例的密钥不符" in warn.stdout


def test_config_key_is_a_config_leaf(ogi):
    ogi.register()
    leaves = sql(ogi, "SELECT COUNT(*) FROM ledger_leaf WHERE kind = 'config'")[0][0]
    ogi.ok("audit", "key", user="admin")
    ogi.register("2026-09-25", "李四")
    rows = sql(ogi, "SELECT body FROM ledger_leaf WHERE kind = 'config' ORDER BY idx")
    assert len(rows) == leaves + 1 and '"verifier_key"' in rows[-1][0]


def test_the_key_made_by_racing_first_registrations_is_one(tmp_path, monkeypatch):
    """Two processes' first registrations at once: both use the one key that appears whole."""
    import threading

    from ogi.engine.ledger import store

    monkeypatch.setenv("OGI_HOME", str(tmp_path))
    got, start = [], threading.Barrier(8)

    def make():
        start.wait()
        got.append(store.digest_key(create=True))

    threads = [threading.Thread(target=make) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(got) == 8 and len(set(got)) == 1 and len(got[0]) == 32
    assert sorted(p.name for p in (tmp_path / "keys").iterdir()) == ["applicant.key"]  # no temporary left
