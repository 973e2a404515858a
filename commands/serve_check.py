"""`ogi serve --check`: is the instance deployed as DESIGN.md (Trust) wants? One line per item,
✓ or ✗ with what is wrong and what to run (engine/deployment.py decides)."""
from __future__ import annotations

from .common import print_json


def run_check(json_: bool) -> int:
    """Print the deployment check; 0 when everything is right, else 1."""
    from .. import client
    from ..engine import api

    result = api.deployment_check(socket=client.socket_path())
    if json_:
        print_json(result)
    else:
        for line in report_lines(result):
            print(line)
    return 0 if result["ok"] else 1


def report_lines(result: dict) -> list[str]:
    lines = [_line(f) for f in result["findings"]]
    bad = sum(not f["ok"] for f in result["findings"])
    who = f"（服务账户 {result['service_user']}）" if result["service_user"] else ""
    lines.append(f"部署检查通过{who}。" if not bad else f"部署检查发现 {bad} 处问题{who}：请按上面 ✗ 各行的提示处理后重新检查。")
    return lines


def _line(f: dict) -> str:
    if f["ok"]:
        return f"✓ {f['item']}" + (f"：{f['note']}" if f.get("note") else "")
    return f"✗ {f['item']}：{f['detail']}"
