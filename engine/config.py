"""Instance location and the agency config file (ogi.toml). Defaults follow RULES.md."""
from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from ..errors import ConfigError, os_reason
from ..states.vocabulary import ROLES



BUILT_IN = "(内置默认配置)"  # the source of the configuration used where no file exists yet


def home_dir() -> Path:
    """OGI_HOME, else $XDG_DATA_HOME/ogi, else ~/.local/share/ogi."""
    env = os.environ.get
    return _home_dir(env("OGI_HOME"), env("XDG_DATA_HOME"), env("HOME"))


def export_path(name: str) -> Path:
    """Where reports, dossiers and pictures go when no --out is given."""
    return home_dir() / "exports" / name


@lru_cache(maxsize=8)
def _home_dir(ogi_home: str | None, xdg: str | None, _home: str | None) -> Path:
    # Every use case asks (config, database): the answer is cached per environment, not per call.
    if ogi_home:
        return Path(ogi_home).expanduser()
    base = Path(xdg).expanduser() if xdg else Path.home() / ".local" / "share"
    return base / "ogi"


def config_path() -> Path:
    return _config_path(os.environ.get("OGI_CONFIG"), home_dir())


@lru_cache(maxsize=8)
def _config_path(explicit: str | None, home: Path) -> Path:
    return Path(explicit or home / "ogi.toml")


DEFAULT_CONFIG = """\
# ogi 配置文件。修改后立即生效，无需重启（守护进程除外）。

[agency]
name = "示例市人民政府办公室"          # 行政机关全称，出现在每一份文书上
seal = "示例市人民政府办公室"          # 印章名称
number_prefix = "示政办公开"           # 文号机关代字：示政办公开〔2026〕12号
address = "示例市人民路1号"
phone = "0000-12345678"
review_body = "示例市人民政府"         # 行政复议机关（行政复议法第二十四条）
court = "示例市人民法院"               # 行政诉讼管辖法院

[rules]
# 非工作日收到申请：calendar_date = 以自然日为收到申请之日（第1个工作日为其后的工作日）
receipt_on_non_workday = "calendar_date"
correction_period_workdays = 15        # 补正期限（条例第三十条“合理的补正期限”）
fee_pauses_answer_clock = true         # 缴费期间是否暂停答复期限（国办函〔2020〕109号）
electronic_delivery_requires_consent = true

# [repeated]                           # ogi report repeated：多人申请的相同信息（条例第四十四条）
# score = 0.75                         # 两份描述视为同一信息的最低相似度（0–1）；年份、文号、编号须一致

[warnings]
thresholds_workdays = [5, 3, 1]        # 到期前 5、3、1 个工作日提醒；另有当日到期与已逾期
escalate_from_workdays = 1             # 从此级别起同时提醒负责人和法制机构
supervisors = ["wang"]
legal_office = ["zhao"]
# 发送渠道（见 docs/scheduler.md）：用户的 email 配合 [warnings.smtp]，或 webhook（企业微信/钉钉群机器人）
# webhook = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=..."   # 默认群机器人
# interval_minutes = 30                                                   # 守护进程扫描间隔（分钟）
# [warnings.smtp] 的 host、port、sender、starttls、username、password_env 等放在本文件末尾

[identity]
# 办理人由操作系统确认：经 ogi 服务（ogi serve）办理时为连接服务的操作系统账户，
# 本机直接运行时为当前登录账户；账户与下列用户的对应见各用户的 os_account（缺省为用户名本身）。
# 仅演示、培训和测试实例可设为 true：允许用 --as 或环境变量 OGI_USER 声明办理人，
# 每条办理记录都注明“声明身份（未经认证）”。经服务办理时始终不接受声明身份。
allow_declared = false

[users.admin]
name = "系统管理员"
roles = ["admin"]

[users.li]
name = "李明"
roles = ["clerk"]
email = "li@example.gov.cn"
# os_account = "liming"                # 该用户的操作系统账户名（缺省与用户名 li 相同）

[users.chen]
name = "陈静"
roles = ["clerk"]
email = "chen@example.gov.cn"

[users.wang]
name = "王强"
roles = ["reviewer", "head"]
email = "wang@example.gov.cn"

[users.zhou]
name = "周敏"
roles = ["reviewer"]
email = "zhou@example.gov.cn"

[users.zhao]
name = "赵律"
roles = ["legal"]
email = "zhao@example.gov.cn"
"""


# What `ogi init --training` writes (demo, training rooms, the tests): declared users accepted.
TRAINING_CONFIG = DEFAULT_CONFIG.replace("allow_declared = false", "allow_declared = true")
assert TRAINING_CONFIG != DEFAULT_CONFIG

@dataclass(frozen=True)
class Agency:
    name: str
    seal: str
    number_prefix: str
    address: str = ""
    phone: str = ""
    review_body: str = ""
    court: str = ""


@dataclass(frozen=True)
class Rules:
    receipt_on_non_workday: str = "calendar_date"
    correction_period_workdays: int = 15
    fee_pauses_answer_clock: bool = True
    electronic_delivery_requires_consent: bool = True


@dataclass(frozen=True)
class User:
    login: str
    name: str
    roles: tuple[str, ...]
    email: str = ""
    webhook: str = ""
    os_account: str = ""  # the OS account that is this user (default: the login itself)


@dataclass(frozen=True)
class Identity:
    """How actors are authenticated (DESIGN.md, Trust)."""
    allow_declared: bool = False  # --as / OGI_USER accepted in-process: demo, training, tests only
    service_user: str = ""  # the OS account that owns the data and runs `ogi serve` (ogi init --service-user)


@dataclass(frozen=True)
class WarningSettings:
    thresholds_workdays: tuple[int, ...] = (5, 3, 1)
    escalate_from_workdays: int = 1
    supervisors: tuple[str, ...] = ()
    legal_office: tuple[str, ...] = ()
    raw: dict = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class Config:
    agency: Agency
    rules: Rules
    users: dict[str, User]
    warnings: WarningSettings
    raw: dict = field(default_factory=dict, compare=False)
    source: str = BUILT_IN
    identity: Identity = Identity()
    ledger_verifier: str = ""   # [ledger] verifier_key: the log's public key (`ogi audit key` writes it)

    def user_of_account(self, account: str) -> User | None:
        """The ogi user an OS account is: the one naming it as os_account, else the user of that
        login who names no other account."""
        for u in self.users.values():
            if u.os_account == account:
                return u
        u = self.users.get(account)
        return u if u is not None and not u.os_account else None


_KIND_NAMES = {str: "文字", int: "整数", float: "数字", bool: "true 或 false", list: "列表", dict: "表"}


def expect_type(value, kind, where: str, *, suffix: str = ""):
    """`value` if it is of `kind` (an int is a number, a bool is not), else a ConfigError naming
    the key `where`; also used for the sections other rooms read (engine/notify/settings.py)."""
    ok = isinstance(value, kind) or (kind is float and isinstance(value, int))
    if not ok or (kind in (int, float) and isinstance(value, bool)):
        raise ConfigError(f"配置项 {where} 应为{_KIND_NAMES.get(kind, kind.__name__)}，实际为“{value}”{suffix}")
    return value


def parse_config(text: str, source: str) -> Config:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"配置文件 {source} 格式错误：{exc}") from None
    a = expect_type(raw.get("agency", {}), dict, "[agency]")
    for key in ("name", "seal", "number_prefix"):
        if not isinstance(a.get(key), str) or not a.get(key).strip():
            raise ConfigError(f"配置文件 {source} 缺少 [agency] {key}")
    agency = Agency(**{k: expect_type(a.get(k, ""), str, f"agency.{k}") for k in Agency.__dataclass_fields__})
    r = expect_type(raw.get("rules", {}), dict, "[rules]")
    rules = Rules(
        receipt_on_non_workday=expect_type(r.get("receipt_on_non_workday", "calendar_date"), str, "rules.receipt_on_non_workday"),
        correction_period_workdays=expect_type(r.get("correction_period_workdays", 15), int, "rules.correction_period_workdays"),
        fee_pauses_answer_clock=expect_type(r.get("fee_pauses_answer_clock", True), bool, "rules.fee_pauses_answer_clock"),
        electronic_delivery_requires_consent=expect_type(
            r.get("electronic_delivery_requires_consent", True), bool, "rules.electronic_delivery_requires_consent"),
    )
    if rules.receipt_on_non_workday not in ("calendar_date", "next_workday"):
        raise ConfigError("配置项 rules.receipt_on_non_workday 只能是 calendar_date 或 next_workday")
    if not 1 <= rules.correction_period_workdays <= 60:
        raise ConfigError("配置项 rules.correction_period_workdays 应在 1 到 60 个工作日之间")
    users = {}
    for login, u in expect_type(raw.get("users", {}), dict, "[users]").items():
        expect_type(u, dict, f"users.{login}")
        roles = tuple(expect_type(u.get("roles", []), list, f"users.{login}.roles"))
        bad = [x for x in roles if x not in ROLES]
        if bad:
            raise ConfigError(f"配置文件 {source} 中用户 {login} 的角色 {bad[0]} 不存在；可用角色：{', '.join(ROLES)}")
        users[login] = User(
            login=login,
            name=expect_type(u.get("name", login), str, f"users.{login}.name"),
            roles=roles,
            email=expect_type(u.get("email", ""), str, f"users.{login}.email"),
            webhook=expect_type(u.get("webhook", ""), str, f"users.{login}.webhook"),
            os_account=expect_type(u.get("os_account", ""), str, f"users.{login}.os_account").strip(),
        )
    accounts = [u.os_account or u.login for u in users.values()]
    twice = sorted({a for a in accounts if accounts.count(a) > 1})
    if twice:
        raise ConfigError(f"配置文件 {source} 中操作系统账户 {twice[0]} 对应了多个用户：每个账户只能对应一个用户（os_account）")
    w = expect_type(raw.get("warnings", {}), dict, "[warnings]")
    thresholds = tuple(expect_type(w.get("thresholds_workdays", [5, 3, 1]), list, "warnings.thresholds_workdays"))
    for t in thresholds:
        expect_type(t, int, "warnings.thresholds_workdays 的每一项")
    warnings = WarningSettings(
        thresholds_workdays=tuple(sorted(set(thresholds), reverse=True)),
        escalate_from_workdays=expect_type(w.get("escalate_from_workdays", 1), int, "warnings.escalate_from_workdays"),
        supervisors=tuple(expect_type(w.get("supervisors", []), list, "warnings.supervisors")),
        legal_office=tuple(expect_type(w.get("legal_office", []), list, "warnings.legal_office")),
        raw=w,
    )
    ident = expect_type(raw.get("identity", {}), dict, "[identity]")
    service = expect_type(raw.get("service", {}), dict, "[service]")
    identity = Identity(
        allow_declared=expect_type(ident.get("allow_declared", False), bool, "identity.allow_declared"),
        service_user=expect_type(service.get("user", ""), str, "service.user").strip(),
    )
    ledger = expect_type(raw.get("ledger", {}), dict, "[ledger]")
    verifier = expect_type(ledger.get("verifier_key", ""), str, "ledger.verifier_key").strip()
    return Config(agency, rules, users, warnings, raw, source, identity, verifier)


@lru_cache(maxsize=8)
def _load(path: str, mtime: float) -> Config:
    try:
        text = Path(path).read_text("utf-8")
    except OSError as exc:
        raise ConfigError(f"无法读取配置文件 {path}：{os_reason(exc)}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"配置文件 {path} 不是 UTF-8 编码") from None
    return parse_config(text, path)


def load_config() -> Config:
    path = config_path()
    try:
        mtime = os.stat(path).st_mtime
    except FileNotFoundError:
        if os.environ.get("OGI_CONFIG"):  # named on purpose: defaults would act under other rules
            raise ConfigError(f"环境变量 OGI_CONFIG 指定的配置文件 {path} 不存在：请检查路径，"
                              "或取消该变量以使用实例目录中的 ogi.toml") from None
        return _default(DEFAULT_CONFIG)
    return _load(str(path), mtime)


@lru_cache(maxsize=2)
def _default(text: str) -> Config:
    return parse_config(text, BUILT_IN)
