"""`ogi backup`, `ogi restore` (system administrator): a verified copy of the database, and a
restore that checks the file before it replaces anything (engine/store/backup.py)."""
from __future__ import annotations

from typing import Annotated, Optional

import typer

from .common import print_json

JsonOpt = Annotated[bool, typer.Option("--json", help="以 JSON 输出")]
AsOpt = Annotated[Optional[str], typer.Option("--as", help="用户名（默认取环境变量 OGI_USER；须为系统管理员）")]


def register(app: typer.Typer) -> None:
    app.command("backup", help="备份数据库（仅系统管理员）：SQLite 在线备份，办理不中断，备份文件经完整性和哈希链核验；"
                               "PostgreSQL 输出 pg_dump / pg_restore 操作命令。")(backup_cmd)
    app.command("restore", help="从备份恢复数据库（仅系统管理员）：先核验备份文件（完整性、哈希链），"
                                "备份的日志须延续最新的检查点（--checkpoint 或当前数据库中记录的），"
                                "加 --yes 才替换当前数据库，原数据库另存为 .bak，并在日志中记录本次恢复；"
                                "PostgreSQL 核验数据库管理员用 pg_restore 恢复出的临时库（ogi restore postgresql://…），"
                                "不加 URL 则输出操作命令。")(restore_cmd)


def backup_cmd(
    out: Annotated[Optional[str], typer.Option("--out", help="备份文件（默认 OGI_HOME/backups/ogi-时间.db；不覆盖已有文件）")] = None,
    as_: AsOpt = None,
    json_: JsonOpt = False,
) -> None:
    from ..engine import api

    r = api.backup(as_, out)
    if json_:
        print_json(r)
    elif r["ran"]:
        print(f"✓ 已备份到 {r['file']}（{r['bytes']:,} 字节，{r['seconds']} 秒）")
        print(f"  核验：SQLite 完整性检查通过，{r['cases']} 件案件、{r['events']} 条办理记录的哈希链完好")
        print(f"  SHA-256 {r['sha256']}")
        print("  提示：文书文件（OGI_HOME/letters）不在数据库中，请一并备份该目录。")
    else:
        _print_recipe(r)


def restore_cmd(
    file: Annotated[str, typer.Argument(help="备份文件；PostgreSQL 实例：已用 pg_restore 恢复备份的临时库 URL（postgresql://…）")],
    yes: Annotated[bool, typer.Option("--yes", help="确认替换当前数据库（PostgreSQL：在临时库中记录本次恢复）")] = False,
    checkpoint: Annotated[Optional[str], typer.Option(
        "--checkpoint", help="法制机构留存的检查点文件：备份的日志须延续它（默认对照当前数据库中最新的检查点）")] = None,
    key: Annotated[Optional[str], typer.Option(
        "--key", help="核验检查点签名的公钥（或含公钥的文件；默认用本实例的密钥）")] = None,
    as_: AsOpt = None,
    json_: JsonOpt = False,
) -> None:
    from ..engine import api

    r = api.restore(as_, file, yes, checkpoint, key)
    if json_:
        print_json(r)
    elif r["backend"] == "postgresql" and not r.get("restored"):
        _print_recipe(r)
    else:
        if r["backend"] == "postgresql":
            print(f"✓ 已核验临时库 {r['staging']}，并在其中记录本次恢复（当前数据库 {r['database']} 未被改动）")
        else:
            print(f"✓ 已从 {r['file']} 恢复数据库 {r['database']}")
        if r["kept_as"]:
            print(f"  原数据库已另存为 {r['kept_as']}")
        a = r["after"]
        print(f"  恢复后核验：{a['cases']} 件案件、{a['events']} 条办理记录的哈希链完好")
        cp = r["checkpoint"]
        if cp:
            where = f"检查点文件 {cp['path']}" if cp["path"] else "当前数据库中最新的检查点"
            print(f"  日志延续{where}（{cp['size']} 条，签发于 {cp['time']}）")
        else:
            print("  尚无检查点：未对照检查点核验备份的日志")
        if r["backend"] == "postgresql":
            if not r["current_readable"]:
                print("  注意：当前数据库无法读取，未能对照其中记录的检查点")
            print(f"  已在临时库日志第 {r['restore_leaf']['idx']} 条记录本次恢复（日志 {r['log']['size']} 条）")
        else:
            print(f"  已在日志第 {r['restore_leaf']['idx']} 条记录本次恢复（备份 SHA-256 {r['sha256'][:16]}…，"
                  f"日志 {r['log']['size']} 条）")
        for w in a["letter_warnings"][:5]:
            print(f"  注意：{w}")
        if r["backend"] == "postgresql":
            print("下一步（由数据库管理员执行，ogi 不代为切换数据库）：")
            for n, line in enumerate(r["next_steps"], 1):
                print(f"  {n}. {line}")


def _print_recipe(r: dict) -> None:
    print(f"数据库 {r['database']} 为 PostgreSQL：{r['note']}")
    print("备份：")
    print(f"  {r['recipe'][0]}")
    print("恢复（先恢复到新建的临时库，核验后再切换）：")
    for line in r["recipe"][1:]:
        print(f"  {line}")
