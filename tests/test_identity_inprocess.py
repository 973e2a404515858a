"""Without a service, who acts is the OS login (engine/identity.py): a declared name (--as,
OGI_USER) counts only where the configuration allows it (`ogi init --training`), and every event
records how its actor was authenticated."""
from __future__ import annotations

import os
import pwd

import pytest

from conftest import FIXED_TODAY, Ogi

ME = pwd.getpwuid(os.geteuid()).pw_name


@pytest.fixture
def office(tmp_path, monkeypatch, capsys) -> Ogi:
    """A production instance (plain `ogi init`) whose clerk li is this process's OS account."""
    home = tmp_path / "ogi-home"
    monkeypatch.setenv("OGI_HOME", str(home))
    monkeypatch.setenv("OGI_TODAY", FIXED_TODAY)
    monkeypatch.delenv("OGI_USER", raising=False)
    for var in ("OGI_CONFIG", "OGI_DATABASE_URL"):
        monkeypatch.delenv(var, raising=False)
    ogi = Ogi(capsys, home, f"sqlite:///{home / 'ogi.db'}")
    assert ogi("init", user=None).exit_code == 0
    cfg = home / "ogi.toml"
    text = cfg.read_text("utf-8")
    assert "allow_declared = false" in text
    cfg.write_text(text.replace("[users.li]\n", f'[users.li]\nos_account = "{ME}"\n'), "utf-8")
    return ogi


def register(ogi: Ogi, *extra: str):
    return ogi("case", "register", "--applicant", "张三", "--applicant-type", "自然人", "--channel", "当面提交",
               "--received", "2026-12-01", "--description", "某文件", *extra, user=None)


def test_the_os_login_acts_and_is_recorded_as_such(office):
    r = register(office, "--json")
    assert r.exit_code == 0, r.stderr
    history = office("case", "history", "1", "--json", user=None).json
    first = history["entries"][0]
    assert first["actor"] == "li" and first["actor_auth"] == "os_login"


def test_a_declared_name_is_refused_on_a_production_instance(office, monkeypatch):
    assert register(office).exit_code == 0
    r = office("case", "accept", "1", "--date", "2026-12-02", "--as", "wang", user=None)
    assert r.exit_code == 1 and "不接受声明的身份" in r.stderr and ME in r.stderr
    monkeypatch.setenv("OGI_USER", "wang")
    r = office("case", "accept", "1", "--date", "2026-12-02", user=None)
    assert r.exit_code == 1 and "不接受声明的身份" in r.stderr
    monkeypatch.setenv("OGI_USER", "li")  # naming oneself is no lie
    assert office("case", "accept", "1", "--date", "2026-12-02", user=None).exit_code == 0
    assert office("case", "show", "1", "--json", user=None).json["state"] == "processing"


def test_an_unmapped_login_is_told_what_to_do(office):
    cfg = office.home / "ogi.toml"
    cfg.write_text(cfg.read_text("utf-8").replace(f'os_account = "{ME}"\n', ""), "utf-8")
    r = office("case", "list", user=None)
    assert r.exit_code == 1 and ME in r.stderr and "os_account" in r.stderr and "Traceback" not in r.stderr


def test_one_account_for_two_users_is_a_configuration_error(office):
    cfg = office.home / "ogi.toml"
    cfg.write_text(cfg.read_text("utf-8").replace("[users.wang]\n", f'[users.wang]\nos_account = "{ME}"\n'), "utf-8")
    r = office("case", "list", user=None)
    assert r.exit_code == 1 and "对应了多个用户" in r.stderr
