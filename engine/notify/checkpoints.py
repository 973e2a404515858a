"""The day's checkpoint of the agency's log, sent to the legal office (issue 15, item 2).

A checkpoint proves the record only while someone outside the database keeps it. The scheduler
signs one a day when the log grew (engine/ledger/store.auto_checkpoint); this sends its note to
each user named in [warnings] legal_office, through their channels (mail, group robot), like a
warning. Best effort, not queued: the next day's checkpoint extends this one, and every note stays
in ledger_checkpoint (`ogi audit checkpoint --out` writes the newest again).
"""
from __future__ import annotations

from ..config import Config, load_config
from .digest import send_once
from .policy import Message
from .settings import channel_settings
from .transports import Transport, default_transports


def compose(cp: dict, agency: str) -> Message:
    """The note verbatim (it is what gets verified), with how to keep and use it."""
    day = str(cp["time"])[:10]
    subject = f"【日志检查点】{agency} {day}：{cp['size']} 条"
    how = ("请将下列检查点原样保存为文件（如 检查点-{day}.txt），留存于数据库之外；核验时运行："
           "ogi audit verify --checkpoint 检查点文件 --key 法制机构留存的验证公钥").format(day=day)
    text = f"{subject}\n{how}\n\n{cp['note']}"
    markdown = f"**{subject}**\n\n{how}\n\n```\n{cp['note']}```"
    return Message(subject, text, markdown)


def send(cp: dict, *, cfg: Config | None = None, transports: dict[str, Transport] | None = None) -> list[dict]:
    """Send `cp` (auto_checkpoint / make_checkpoint's dict, with "note") to the legal office:
    one entry per recipient and channel, {"user", "channel", "ok", "error"}."""
    cfg = cfg or load_config()
    ch = channel_settings(cfg)
    if not ch.legal_office:
        return []
    own = transports is None
    transports = default_transports(ch) if own else transports
    msg = compose(cp, cfg.agency.name)
    out = []
    try:
        for login in ch.legal_office:
            sent = send_once(login, msg, cfg, ch, transports)
            if not sent:
                out.append({"user": login, "channel": "none", "ok": False, "error": "没有可用的发送渠道（email 或 webhook）"})
            out += [{"user": login, "channel": c, "ok": not err, "error": err} for c, err in sent]
    finally:
        if own:
            for t in transports.values():
                t.close()
    return out
