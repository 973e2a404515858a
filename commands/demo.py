"""`ogi demo`: a fresh SQLite instance and one case from registration to delivered letters,
with a correction and a third-party consultation, shown as a clerk would see it."""
from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Annotated

import typer

MARKER = ".ogi-demo"

# (label, argv, user, today) — dates as on paper; "today" moves with the story.
STEPS = [
    ("登记申请（国庆前夕当面提交）", ["case", "register", "--applicant", "张三", "--applicant-type", "natural",
      "--channel", "in_person", "--received", "2026-09-24", "--description",
      "2025年人民路改造工程的立项批复文件及其附件", "--requested-form", "纸质复印件，邮寄",
      "--id-number", "110101199003071234", "--phone", "13812345678", "--address", "示例市和平街8号"], "li", "2026-09-24"),
    ("受理", ["case", "accept", "1", "--date", "2026-09-25"], "li", "2026-09-25"),
    ("一次性告知补正（条例第三十条）", ["case", "request-correction", "1", "--items",
      "请写明立项批复的文号或作出时间；请说明所需附件的名称", "--date", "2026-09-28"], "li", "2026-09-28"),
    ("收到补正后的申请：答复期限重新起算", ["case", "receive-correction", "1", "--date", "2026-10-09"], "li", "2026-10-09"),
    ("书面征求第三方意见（条例第三十二条）", ["case", "consult", "1", "--party", "示例市建设工程有限公司",
      "--kind", "third_party", "--information", "人民路改造工程立项批复附件中的施工单位资质材料",
      "--date", "2026-10-12"], "li", "2026-10-12"),
    ("第三方答复同意公开", ["case", "consultation-reply", "1", "--opinion", "agree", "--date", "2026-10-20"], "li", "2026-10-20"),
    ("提出办理意见：予以公开", ["case", "propose", "1", "--outcome", "disclose", "--item",
      "人民路改造工程立项批复｜示发改〔2025〕18号｜示例市发展和改革委员会", "--date", "2026-10-21"], "li", "2026-10-21"),
    ("作出决定并报批", ["case", "decide", "1", "--date", "2026-10-21"], "li", "2026-10-21"),
    ("审核人审批同意", ["case", "approve", "1", "--date", "2026-10-22"], "wang", "2026-10-22"),
    ("直接送达，申请人签收", ["case", "deliver", "1", "--method", "direct", "--date", "2026-10-23"], "li", "2026-10-23"),
]


def register(app: typer.Typer) -> None:
    app.command("demo", help="演示：新建一个 SQLite 实例，办理一件申请从登记到送达并生成全部 PDF 文书。")(demo_cmd)


def demo_cmd(home: Annotated[Path, typer.Option("--home", help="演示实例目录（会被重建）")] = Path("demo-output")) -> None:
    from ..cli import main
    from ..errors import InputError
    from .common import console

    home = home.resolve()
    if home.exists() and any(home.iterdir()) and not (home / MARKER).exists():
        raise InputError(f"目录 {home} 已存在且不是演示目录：请用 --home 指定一个新目录")
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    (home / MARKER).write_text("ogi demo\n", encoding="utf-8")
    saved = {k: os.environ.get(k) for k in ("OGI_HOME", "OGI_USER", "OGI_TODAY", "OGI_DATABASE_URL", "OGI_CONFIG")}
    os.environ["OGI_HOME"] = str(home)
    os.environ.pop("OGI_DATABASE_URL", None)
    os.environ.pop("OGI_CONFIG", None)
    c = console()
    try:
        c.rule("[bold]ogi 演示：政府信息公开申请办理全过程[/]")
        _run(main, ["init", "--training"])
        for i, (label, argv, user, day) in enumerate(STEPS, 1):
            os.environ["OGI_USER"], os.environ["OGI_TODAY"] = user, day
            c.rule(f"第 {i} 步　{label}　（{user}，{day}）")
            _run(main, argv)
        c.rule("案件全貌与办理时间线")
        _run(main, ["case", "show", "1"])
        c.rule("期限计算说明（可向法院展示）")
        _run(main, ["case", "explain", "1"])
        letters = sorted((home / "letters").rglob("*.pdf"))
        c.rule("生成的 PDF 文书")
        for p in letters:
            c.print(f"  {p}")
        if not letters:
            raise InputError("演示未能生成 PDF 文书：请检查中文字体（apt-get install fonts-noto-cjk）")
        c.print(f"\n[bold green]演示完成[/]：数据库 {home / 'ogi.db'}，文书 {len(letters)} 份。")
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _run(main, argv: list[str]) -> None:
    from ..errors import OgiError

    code = main(argv)
    if code != 0:
        raise OgiError(f"演示步骤“ogi {' '.join(argv[:3])}”失败（退出码 {code}）")
