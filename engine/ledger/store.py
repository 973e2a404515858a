"""The database side of the agency's log (issue 15): leaves appended in the steps' own
transactions, the signing key, signed checkpoints, and the check of the database against a
checkpoint the legal office kept.

Leaves. Every history event (steps._append_event, the one place events are written) and every
calendar import or replacement (calendar_store.import_year) appends one row to ledger_leaf in
the same transaction: idx (0-based, gap-free: the counter row ("ledger", 0), whose upsert also
serialises the writers, so idx order is commit order), kind, ref (the event's id, the calendar
year), the leaf's canonical bytes (body: canonical JSON, `event_body` / `calendar_body`) and
their RFC 6962 leaf hash (rows.insert_event_and_leaf: one round trip on PostgreSQL).

Time. A checkpoint holds the same lock (on SQLite the database's write lock) while it reads the
tree and its time, so a genuine leaf after a checkpoint carries a time no earlier than the
checkpoint's, less the instant between a step reading the clock and taking the lock
(CLOCK_MARGIN). A leaf after the checkpoint that says it was recorded before it was written into
the database afterwards, backdated: `verify_ledger` names it.

Checkpoints. `ogi audit checkpoint` folds the leaf hashes in idx order (merkle.CompactRange,
bounded memory) and signs (size, root, time) with the instance's Ed25519 key (keys/ledger.key,
`ogi audit key`) as a C2SP checkpoint note that the legal office keeps outside the database.

Verify. `verify_ledger` walks the log once in idx order (merkle.consistency_proof_stream: the
root at the checkpoint's size and today's), then the event leaves beside the history rows in
event id order (a merge of two sorted streams), then the other leaves: memory stays bounded
whatever the size of the record. Findings are dicts in engine/legal/audit.py's shape.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import os
from pathlib import Path

from ..cases.history import canonical_json
from . import merkle

SCOPE, SCOPE_YEAR = "ledger", 0          # the counter row that numbers the leaves
KINDS = ("event", "calendar", "config", "restore", "proactive")
KEY_FILE = "ledger.key"
STREAM = 5000
BACKFILL_BATCH = 1000                    # leaves per INSERT while migration 0007 fills the log
CLOCK_MARGIN = dt.timedelta(minutes=5)   # a step that read the clock, then waited for the log's lock


# --------------------------------------------------------------------------- leaves

def event_body(ev, number: str | None) -> str:
    """The canonical leaf body of a history event (any object with EventRow's attributes) of the
    case numbered `number` (in the body, so that deleting a whole case shows)."""
    eff = ev.effective_on
    return canonical_json({
        "kind": "event", "case_id": ev.case_id, "case": number, "seq": ev.seq, "recorded_at": ev.recorded_at,
        "actor": ev.actor, "actor_auth": ev.actor_auth or "", "action": ev.action,
        "effective_on": eff.isoformat() if isinstance(eff, dt.date) else eff, "reason": ev.reason,
        "data": ev.data, "prev_hash": ev.prev_hash, "hash": ev.hash,
    })


def calendar_body(year: int, sha256: str, actor: str, actor_auth: str, recorded_at: str, replaced: bool) -> str:
    """The leaf body of a calendar year's import or replacement: the notice text's SHA-256."""
    return canonical_json({"kind": "calendar", "year": year, "sha256": sha256, "actor": actor,
                           "actor_auth": actor_auth, "recorded_at": recorded_at, "replaced": replaced})


def leaf_hex(body: str) -> str:
    return merkle.leaf_hash(body.encode("utf-8")).hex()


def next_index(db) -> int:
    """The next leaf's index, in the caller's transaction (gap-free; the counter row's lock
    serialises the writers until they commit or roll back)."""
    from ..store import rows

    return rows.next_value(db, SCOPE, SCOPE_YEAR) - 1


def append_leaf(db, kind: str, ref: int, body: str, idx: int | None = None) -> int:
    """Append one leaf (rows.Db, in the caller's transaction); its index."""
    from ..store import rows

    if idx is None:
        idx = next_index(db)
    rows.insert_leaf(db, idx, kind, ref, leaf_hex(body), body)
    return idx


def backfill(conn) -> int:
    """Migration 0007: leaves for the events and imported calendar years already recorded (a
    SQLAlchemy connection; events in id order, then calendar years). The number of leaves."""
    from sqlalchemy import text

    from ..store.rows import EventRow, as_date

    idx = 0
    insert = text("INSERT INTO ledger_leaf (idx, kind, ref, leaf_hash, body) VALUES (:i, :k, :r, :h, :b)")
    batch: list[dict] = []

    def add(kind, ref, body):
        nonlocal idx
        batch.append({"i": idx, "k": kind, "r": ref, "h": leaf_hex(body), "b": body})
        idx += 1
        if len(batch) >= BACKFILL_BATCH:
            conn.execute(insert, batch)
            batch.clear()

    # Streamed (a server-side cursor on PostgreSQL): an agency of a million cases upgrades in
    # bounded memory, not with its ~6M events in a list.
    events = conn.execute(text(
        "SELECT e.id, e.case_id, e.seq, e.recorded_at, e.actor, e.action, e.effective_on, e.reason, e.data, "
        "e.prev_hash, e.hash, e.actor_auth, c.number FROM history_event e LEFT JOIN cases c ON c.id = e.case_id "
        "ORDER BY e.id").execution_options(stream_results=True, yield_per=STREAM))
    for r in events:
        ev = EventRow(r[0], r[1], r[2], r[3], r[4], r[5], as_date(r[6]), r[7], r[8], r[9], r[10], r[11] or "")
        add("event", ev.id, event_body(ev, r[12]))
    for year, source, imported_at, imported_by in conn.execute(text(
            "SELECT year, source, imported_at, imported_by FROM calendar_year ORDER BY year")).all():
        add("calendar", year, calendar_body(year, hashlib.sha256(source.encode("utf-8")).hexdigest(),
                                            imported_by, "", imported_at, False))
    if batch:
        conn.execute(insert, batch)
    if idx:
        conn.execute(text("INSERT INTO counter (scope, year, value) VALUES (:s, :y, :v)"),
                     {"s": SCOPE, "y": SCOPE_YEAR, "v": idx})
    return idx


# --------------------------------------------------------------------------- the signing key

def key_path() -> Path:
    from ..config import home_dir

    return home_dir() / "keys" / KEY_FILE


def key_name(cfg) -> str:
    """The log's origin and key name: "ogi/<agency name>", without spaces or '+'."""
    name = "".join(c for c in cfg.agency.name if not c.isspace() and c != "+") or "agency"
    return f"ogi/{name}"


def _read_signer() -> str | None:
    from ...errors import InputError, os_reason

    path = key_path()
    try:
        return path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise InputError(f"无法读取日志签名密钥 {path}：{os_reason(exc)}；请以服务账户运行") from None


def instance_verifier() -> str | None:
    """The verifier key of the instance's signing key, or None before `ogi audit key`."""
    from .checkpoint import verifier_key_of

    signer = _read_signer()
    return verifier_key_of(signer) if signer else None


def key(login: str | None) -> dict:
    """`ogi audit key`: the verifier key of the instance's signing key, created on first use
    (by an administrator: private key in OGI_HOME/keys/ledger.key, 0600, folder 0700)."""
    from ...errors import InputError
    from ..config import load_config
    from ..identity import require_role, resolve_actor
    from .checkpoint import generate_key, verifier_key_of

    cfg = load_config()
    actor = resolve_actor(cfg, login)
    path = key_path()
    signer = _read_signer()
    created = False
    if signer is None:
        require_role(actor, "admin", what="生成日志签名密钥（首次使用时）")
        signer, _ = generate_key(key_name(cfg))
        try:
            _write_private(path, signer + "\n")
        except FileExistsError:
            raise InputError(f"日志签名密钥 {path} 刚由他人生成，本次未改动：请重新运行 ogi audit key 查看公钥") from None
        created = True
    verifier = verifier_key_of(signer)
    return {"verifier_key": verifier, "name": verifier.split("+", 1)[0], "path": str(path), "created": created,
            "config": _verifier_into_config(cfg, actor, verifier)}


def _verifier_into_config(cfg, actor, verifier: str) -> dict:
    """[ledger] verifier_key in the configuration file: written by an administrator when absent
    (issue 15: the public key is in the config), never replaced. {"state", "path"}: state is
    "present", "written", "differs", "built-in", "not-admin" or "unwritable" (with "reason")."""
    from ...errors import os_reason
    from ..config import BUILT_IN, parse_config

    if cfg.ledger_verifier == verifier:
        return {"state": "present", "path": cfg.source}
    if cfg.ledger_verifier:
        return {"state": "differs", "path": cfg.source, "configured": cfg.ledger_verifier}
    if cfg.source == BUILT_IN:
        return {"state": "built-in", "path": None}
    if "admin" not in actor.roles:
        return {"state": "not-admin", "path": cfg.source}
    path = Path(cfg.source)
    try:
        text = path.read_text(encoding="utf-8")
        new = _with_verifier(text, verifier)
        parse_config(new, str(path))  # what is written must load
        path.write_text(new, encoding="utf-8")
    except OSError as exc:
        return {"state": "unwritable", "path": str(path), "reason": os_reason(exc)}
    return {"state": "written", "path": str(path)}


def _with_verifier(text: str, verifier: str) -> str:
    import re

    line = f'verifier_key = "{verifier}"   # 机构日志的验证公钥（ogi audit key 写入）\n'
    m = re.search(r"^\[ledger\][ \t]*(#.*)?\n", text, flags=re.M)
    if m is not None:
        return text[:m.end()] + line + text[m.end():]
    return text.rstrip("\n") + "\n\n[ledger]\n" + line


# --------------------------------------------------------------------------- the applicant digest key

DIGEST_KEY_FILE = "applicant.key"
_digest_keys: dict[str, bytes] = {}   # file identity -> key: read once per process while the file stays


def digest_key_path() -> Path:
    from ..config import home_dir

    return home_dir() / "keys" / DIGEST_KEY_FILE


def digest_key(*, create: bool) -> bytes | None:
    """The HMAC key of applicant_digest (32 random bytes, hex, keys/applicant.key, 0600), created by
    the first registration when `create`. None when absent and not created."""
    from ...errors import InputError, os_reason

    path = digest_key_path()
    try:
        st = os.stat(path)
        stamp = f"{path}:{st.st_ino}:{st.st_mtime_ns}:{st.st_size}"  # a replaced file is read again
        cached = _digest_keys.get(stamp)
        if cached is not None:
            return cached
        key = bytes.fromhex(path.read_text(encoding="utf-8").strip())
        if len(key) != 32:
            raise ValueError("not a 32-byte key")
    except FileNotFoundError:
        if not create:
            return None
        try:
            _write_private(path, os.urandom(32).hex() + "\n", "申请人信息摘要密钥")
        except FileExistsError:
            pass  # another registration made it first: use theirs
        return digest_key(create=False)
    except ValueError:
        raise InputError(f"申请人信息摘要密钥 {path} 内容不是十六进制密钥：请从备份恢复该文件") from None
    except OSError as exc:
        raise InputError(f"无法读取申请人信息摘要密钥 {path}：{os_reason(exc)}；请以服务账户运行") from None
    _digest_keys.clear()
    _digest_keys[stamp] = key
    return key


def _write_private(path: Path, text: str, what: str = "日志签名密钥") -> None:
    """A new key file, 0600 in a 0700 folder, complete when it appears (written to a temporary
    file, then hard-linked into place: another process never reads it half written);
    FileExistsError when another process made it first."""
    import tempfile

    from ...errors import InputError, os_reason

    tmp = None
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(path.parent, 0o700)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)  # 0600
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.link(tmp, path)  # fails if the name exists: the first key made stays
    except FileExistsError:
        raise
    except OSError as exc:
        raise InputError(f"无法生成{what} {path}：{os_reason(exc)}；请以服务账户运行") from None
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass


# --------------------------------------------------------------------------- checkpoints

def _stream_hashes(s):
    """Rows (idx, leaf_hash) in idx order, streamed."""
    from sqlalchemy import text

    return s.execute(text("SELECT idx, leaf_hash FROM ledger_leaf ORDER BY idx"),
                     execution_options={"yield_per": STREAM})


def _hashes(rows_, problems: list | None = None):
    """Leaf hashes (bytes) from (idx, hex) rows; a gap or a malformed hash is a problem (a
    list to append to), or a LedgerError when no list is given."""
    from .checkpoint import LedgerError

    expect = 0
    for idx, hexhash in rows_:
        if idx != expect:
            msg = f"日志第 {expect} 条缺失（下一条为第 {idx} 条）：日志被删除或改动"
            if problems is None:
                raise LedgerError(msg + "，拒绝签发检查点；请先运行 ogi audit verify")
            problems.append(msg)
            expect = idx
        try:
            h = bytes.fromhex(hexhash)
        except (TypeError, ValueError):
            h = b""
        if len(h) != merkle.HASH_SIZE:
            msg = f"日志第 {idx} 条的哈希格式不正确：日志被改动"
            if problems is None:
                raise LedgerError(msg + "，拒绝签发检查点；请先运行 ogi audit verify")
            problems.append(msg)
            h = b"\0" * merkle.HASH_SIZE
        expect += 1
        yield h


def make_checkpoint(login: str | None, out: str | None = None) -> dict:
    """`ogi audit checkpoint`: sign (size, root, time) of the log as it stands; record it; the
    note goes to `out` (never onto the instance's own files) or back to the caller."""
    from ...errors import InputError
    from ..config import load_config
    from ..identity import now_shanghai, require_role, resolve_actor
    from ..store import rows
    from ..store.db import write_session
    from .checkpoint import Checkpoint, sign

    cfg = load_config()
    actor = resolve_actor(cfg, login)
    require_role(actor, "admin", "head", "legal", what="签发日志检查点")
    signer = _read_signer()
    if signer is None:
        raise InputError("本实例还没有日志签名密钥：请系统管理员先运行 ogi audit key")
    target = None
    if out:
        from ..store.files import output_target

        target = output_target(out)  # refused before anything is signed or recorded
    with write_session() as s:
        db = rows.of_session(s)
        rows.lock_counter(db, SCOPE, SCOPE_YEAR)  # no step appends while the tree and its time are read
        cr = merkle.CompactRange().extend(_hashes(_stream_hashes(s)))
        if cr.size == 0:
            raise InputError("日志还没有任何记录，无需签发检查点：办理第一步之后再签发")
        when = now_shanghai()
        name = key_name_of(signer)
        note = sign(Checkpoint(name, cr.size, cr.root(), when), signer)
        rows.insert_checkpoint(db, cr.size, cr.root().hex(), note, when.isoformat(), actor.login)
        if target is not None:
            from ..store.files import write_output

            write_output(note, out)
    return {"origin": name, "size": cr.size, "root": cr.root().hex(), "time": when.isoformat(),
            "note": note, "path": str(target) if target is not None else None}


def key_name_of(signer: str) -> str:
    from .checkpoint import verifier_key_of

    return verifier_key_of(signer).split("+", 1)[0]


# --------------------------------------------------------------------------- verify

def _finding(problem: str, *, case_id=None, case=None, seq=None, event_id=None, kind="ledger") -> dict:
    return {"kind": kind, "case_id": case_id, "case": case, "seq": seq, "event_id": event_id,
            "letter_id": None, "path": None, "problem": problem}


def read_checkpoint(path: str, verifier: str | None) -> tuple:
    """(Checkpoint, verifier key used, whose key it is: "given" or "instance") from a note file."""
    from ...errors import InputError, os_reason
    from .checkpoint import MAX_NOTE_BYTES, parse_and_verify

    source = "given"
    if verifier is not None:
        verifier = verifier.strip()
        if os.path.isfile(os.path.expanduser(verifier)):  # a file holding the key line
            try:
                verifier = Path(os.path.expanduser(verifier)).read_text(encoding="utf-8").strip()
            except (OSError, UnicodeDecodeError) as exc:
                raise InputError(f"无法读取验证公钥文件 {verifier}：{os_reason(exc) if isinstance(exc, OSError) else '不是 UTF-8 文本'}") from None
    else:
        from ..config import load_config

        verifier, source = load_config().ledger_verifier or instance_verifier(), "instance"
        if verifier is None:
            raise InputError("本实例没有日志签名密钥，无法核验检查点：请用 --key 指定法制机构留存的验证公钥")
    p = Path(os.path.expanduser(path))
    try:
        if not p.is_file():
            raise InputError(f"检查点文件 {path} 不存在或不是普通文件：请指定 ogi audit checkpoint 写出的文件")
        with open(p, "rb") as fh:
            note = fh.read(MAX_NOTE_BYTES + 1)
    except OSError as exc:
        raise InputError(f"无法读取检查点文件 {path}：{os_reason(exc)}") from None
    origin = verifier.split("+", 1)[0]
    return parse_and_verify(note, verifier, origin), verifier, source


def verify_ledger(s, cp=None) -> dict:
    """The log against the rows (and, given a Checkpoint `cp`, against the checkpoint), in the
    caller's read session (one snapshot). {"leaves", "root", "findings": [...]}."""
    from sqlalchemy import text

    findings: list[dict] = []
    problems: list[str] = []
    leaf_rows = _stream_hashes(s)
    size = None
    if cp is not None:
        # One pass: the root at the checkpoint's size and today's, with the proof between them.
        total = s.execute(text("SELECT COUNT(*) FROM ledger_leaf")).scalar_one()
        hashes = _hashes(leaf_rows, problems)
        if total < cp.size:
            cr = merkle.CompactRange().extend(hashes)
            findings.append(_finding(f"日志现有 {total} 条，少于检查点记录的 {cp.size} 条："
                                     "自检查点以来记录被删除或改写"))
            root = cr.root()
        else:
            proof = merkle.consistency_proof_stream(hashes, cp.size, total)
            root = proof.new_root
            if proof.old_root != cp.root or (cp.size < total and not merkle.verify_consistency(
                    cp.size, total, proof.old_root, proof.new_root, proof.proof)):
                findings.append(_finding(f"日志前 {cp.size} 条的根哈希与检查点（{_when(cp)}）不符："
                                         "自检查点以来记录被删除或改写"))
        size = total
    else:
        cr = merkle.CompactRange().extend(_hashes(leaf_rows, problems))
        root, size = cr.root(), cr.size
    findings += [_finding(p) for p in problems[:20]]
    findings += _events_against_leaves(s, cp)
    findings += _other_leaves(s, cp)
    return {"leaves": size, "root": root.hex(), "findings": findings}


def _when(cp) -> str:
    return cp.time.isoformat() if cp.time else f"第 {cp.size} 条"


def _after_checkpoint(cp, idx: int, recorded_at) -> bool:
    """A leaf appended after the checkpoint whose time is earlier than the checkpoint's (less
    CLOCK_MARGIN): the checkpoint held the log's lock while it read the tree and the time, so no
    genuine step can have done that; it was written into the database afterwards, backdated."""
    if cp is None or cp.time is None or idx < cp.size:
        return False
    try:
        t = dt.datetime.fromisoformat(recorded_at)
    except (TypeError, ValueError):
        return True
    if t.utcoffset() is None:
        return True
    return t < cp.time - CLOCK_MARGIN


def _events_against_leaves(s, cp) -> list[dict]:
    """Every history row equals its leaf; every event leaf has its row (merge by event id)."""
    import json

    from sqlalchemy import text

    from ..store.rows import EventRow, as_date

    events = s.execute(text(
        "SELECT e.id, e.case_id, e.seq, e.recorded_at, e.actor, e.action, e.effective_on, e.reason, e.data, "
        "e.prev_hash, e.hash, e.actor_auth, c.number FROM history_event e LEFT JOIN cases c ON c.id = e.case_id "
        "ORDER BY e.id"), execution_options={"yield_per": STREAM})
    leaves = s.execute(text("SELECT ref, idx, leaf_hash, body FROM ledger_leaf WHERE kind = 'event' ORDER BY ref, idx"),
                       execution_options={"yield_per": STREAM})
    out: list[dict] = []
    ev_it, lf_it = iter(events), iter(leaves)
    ev, lf = next(ev_it, None), next(lf_it, None)
    while ev is not None or lf is not None:
        if lf is None or (ev is not None and ev[0] < lf[0]):
            row = EventRow(*ev[:6], as_date(ev[6]), *ev[7:11], ev[11] or "")
            out.append(_finding(f"第 {row.seq} 条办理记录不在日志中：记录是在系统之外写入数据库的（伪造或事后补录）",
                                case_id=row.case_id, case=ev[12], seq=row.seq, event_id=row.id))
            ev = next(ev_it, None)
            continue
        if ev is None or lf[0] < ev[0]:
            try:
                body = json.loads(lf[3])
            except (TypeError, ValueError):
                body = {}
            body = body if isinstance(body, dict) else {}
            case, seq = body.get("case"), body.get("seq")
            out.append(_finding(f"日志第 {lf[1]} 条记录的办理记录（第 {seq} 条）已不存在：记录"
                                f"{'或整个案件' if seq == 1 else ''}被删除",
                                case_id=body.get("case_id"), case=case if isinstance(case, str) else None,
                                seq=seq if isinstance(seq, int) else None, event_id=lf[0]))
            lf = next(lf_it, None)
            continue
        row = EventRow(*ev[:6], as_date(ev[6]), *ev[7:11], ev[11] or "")
        body = event_body(row, ev[12])
        where = dict(case_id=row.case_id, case=ev[12], seq=row.seq, event_id=row.id)
        if leaf_hex(body) != lf[2]:
            out.append(_finding(f"第 {row.seq} 条办理记录与日志第 {lf[1]} 条不符：记录被改写", **where))
        elif lf[3] != body:
            out.append(_finding(f"日志第 {lf[1]} 条的内容与其哈希不符：日志被改动", **where))
        elif _after_checkpoint(cp, lf[1], row.recorded_at):
            out.append(_finding(f"第 {row.seq} 条办理记录在检查点（{_when(cp)}）之后才写入日志，却标注为"
                                f" {row.recorded_at} 办理：记录是事后伪造或补录的", **where))
        ev = next(ev_it, None)
        lf = next(lf_it, None)
        while lf is not None and ev is not None and lf[0] == row.id:  # a second leaf for the same event
            out.append(_finding(f"日志第 {lf[1]} 条重复记录了第 {row.seq} 条办理记录：日志被改动", **where))
            lf = next(lf_it, None)
    return out


def _other_leaves(s, cp) -> list[dict]:
    """Calendar, config, restore and proactive leaves: each body hashes to its leaf hash; each
    imported calendar year is the notice its newest leaf names; each 转主动公开 item the row its
    newest leaf records."""
    import json

    from sqlalchemy import text

    out: list[dict] = []
    newest: dict[int, tuple[int, str]] = {}  # year -> (idx, sha256)
    proactive: dict[int, tuple[int, dict]] = {}  # item id -> (idx, the row its newest leaf records)
    for idx, kind, ref, hexhash, body in s.execute(text(
            "SELECT idx, kind, ref, leaf_hash, body FROM ledger_leaf WHERE kind <> 'event' ORDER BY idx"),
            execution_options={"yield_per": STREAM}):
        if leaf_hex(body) != hexhash:
            out.append(_finding(f"日志第 {idx} 条的内容与其哈希不符：日志被改动"))
            continue
        try:
            data = json.loads(body)
        except ValueError:
            data = {}
        if not isinstance(data, dict) or data.get("kind") != kind:
            out.append(_finding(f"日志第 {idx} 条的类型与内容不符：日志被改动"))
            continue
        if _after_checkpoint(cp, idx, data.get("recorded_at")):
            out.append(_finding(f"日志第 {idx} 条在检查点（{_when(cp)}）之后才写入，却标注为 {data.get('recorded_at')}："
                                "记录是事后伪造或补录的"))
        if kind == "calendar":
            newest[ref] = (idx, str(data.get("sha256")))
        elif kind == "proactive":
            proactive[ref] = (idx, data.get("item"))
    for year, source in s.execute(text("SELECT year, source FROM calendar_year ORDER BY year")):
        logged = newest.pop(year, None)
        digest = hashlib.sha256((source or "").encode("utf-8")).hexdigest()
        if logged is None:
            out.append(_finding(f"日历表中 {year} 年的节假日安排不在日志中：它是在系统之外写入数据库的"))
        elif logged[1] != digest:
            out.append(_finding(f"日历表中 {year} 年的节假日安排与日志第 {logged[0]} 条记录的不符：节假日安排被替换"))
    for year, (idx, _digest) in sorted(newest.items()):
        out.append(_finding(f"日志第 {idx} 条记录了 {year} 年节假日安排的导入，日历表中却没有这一年：节假日安排被删除"))
    return out + _proactive_rows(s, proactive)


def _proactive_rows(s, logged: dict[int, tuple[int, dict]]) -> list[dict]:
    """Each 转主动公开 item (engine/legal/proactive.py) equals the row its newest leaf records."""
    from sqlalchemy import inspect

    from ..legal.proactive import _COLS, _row

    out = []
    if inspect(s.connection()).has_table("proactive_item"):
        from sqlalchemy import text

        for r in s.execute(text(f"SELECT {_COLS} FROM proactive_item ORDER BY id")):
            row = _row(r)
            idx, want = logged.pop(row.id, (None, None))
            if want is None:
                out.append(_finding(f"转主动公开事项 {row.number} 不在日志中：它是在系统之外写入数据库的"))
                continue
            have = row.as_dict()
            diff = [k for k in have if k in want and have[k] != want[k]] + [k for k in want if k not in have]
            if diff:
                out.append(_finding(f"转主动公开事项 {row.number} 的 {'、'.join(diff)} 与日志第 {idx} 条记录的不符：事项表被改动"))
    for item_id, (idx, want) in sorted(logged.items()):
        number = (want or {}).get("number", item_id)
        out.append(_finding(f"日志第 {idx} 条记录了转主动公开事项 {number}，事项表中却没有它：记录被删除"))
    return out


# --------------------------------------------------------------------------- automatic checkpoints, the newest one

AUTO_ACTOR = "system:scheduler"


def latest_checkpoint(s) -> dict | None:
    """The newest checkpoint recorded in ledger_checkpoint (a session or a Db), as reports print
    it: {"size", "root", "time", "made_by"}; None when there is none."""
    from sqlalchemy import text

    from ..store.rows import Db

    sql = "SELECT size, root, made_at, made_by FROM ledger_checkpoint ORDER BY id DESC LIMIT 1"
    row = s.one(sql) if isinstance(s, Db) else s.execute(text(sql)).first()
    if row is None:
        return None
    return {"size": int(row[0]), "root": row[1], "time": row[2], "made_by": row[3] or ""}


def checkpoint_line(cp: dict | None) -> str:
    """The one line a report prints about the checkpoint it was made from."""
    if not cp:
        return "日志检查点：尚无检查点"
    return f"日志检查点：{cp['size']} 条，根哈希 {cp['root'][:16]}…，签发于 {cp['time']}"


def auto_checkpoint(url: str | None = None) -> dict | None:
    """The daemon's daily checkpoint (engine/notify/scheduler.py): signed and recorded at most once
    per calendar day (Asia/Shanghai), only when the log grew since the newest checkpoint and the
    instance has a signing key; otherwise None (no key is not an error)."""
    from ..identity import now_shanghai
    from ..store import rows
    from ..store.db import write_session
    from .checkpoint import Checkpoint, sign

    signer = _read_signer()
    if signer is None:
        return None
    with write_session(url) as s:
        db = rows.of_session(s)
        rows.lock_counter(db, SCOPE, SCOPE_YEAR)  # as make_checkpoint: the tree and its time together
        when = now_shanghai()
        last = latest_checkpoint(db)
        if last is not None and str(last["time"])[:10] == when.date().isoformat():
            return None
        total = db.one("SELECT COUNT(*) FROM ledger_leaf", ())[0]
        if total == 0 or (last is not None and total <= last["size"]):
            return None
        cr = merkle.CompactRange().extend(_hashes(_stream_hashes(s)))
        name = key_name_of(signer)
        note = sign(Checkpoint(name, cr.size, cr.root(), when), signer)
        rows.insert_checkpoint(db, cr.size, cr.root().hex(), note, when.isoformat(), AUTO_ACTOR)
    return {"origin": name, "size": cr.size, "root": cr.root().hex(), "time": when.isoformat(), "note": note}


# --------------------------------------------------------------------------- restore against a checkpoint

def restore_body(sha256: str, size: int, root: str, actor: str, recorded_at: str, checkpoint: dict | None) -> str:
    """The leaf body of a restore from a backup file: the file's SHA-256, its log's size and root,
    who and when, and the checkpoint it was checked against (size, root) if any."""
    return canonical_json({"kind": "restore", "sha256": sha256, "size": size, "root": root, "actor": actor,
                           "recorded_at": recorded_at,
                           "checkpoint": {"size": checkpoint["size"], "root": checkpoint["root"]} if checkpoint else None})


def file_log(con) -> tuple[int, bytes, list[str]]:
    """(size, root, problems) of the log in a SQLite database file (a sqlite3 connection),
    streamed; a database without the log (before migration 0007) has an empty one."""
    import sqlite3

    problems: list[str] = []
    try:
        cur = con.execute("SELECT idx, leaf_hash FROM ledger_leaf ORDER BY idx")
    except sqlite3.OperationalError:
        return 0, merkle.CompactRange().root(), problems
    cr = merkle.CompactRange().extend(_hashes(cur, problems))
    return cr.size, cr.root(), problems


def file_extends(con, size: int, root_hex: str) -> str | None:
    """Does the log in a SQLite database file (sqlite3 connection) extend the checkpoint (size,
    root)? None if so, else the Chinese reason."""
    import itertools
    import sqlite3

    from .checkpoint import LedgerError

    try:
        total = con.execute("SELECT COUNT(*) FROM ledger_leaf").fetchone()[0]
    except sqlite3.OperationalError:
        total = 0
    if total < size:
        return f"备份早于检查点，恢复将丢失检查点已证明的记录（备份日志 {total} 条，检查点 {size} 条）"
    cur = con.execute("SELECT idx, leaf_hash FROM ledger_leaf ORDER BY idx")
    try:
        got = merkle.CompactRange().extend(itertools.islice(_hashes(cur), size)).root()
    except LedgerError:
        got = None
    if got is None or got.hex() != root_hex:
        return f"备份的日志前 {size} 条与检查点的根哈希不符，备份中的记录被删除或改写过"
    return None


# --------------------------------------------------------------------------- configuration leaves

_config_digest: tuple = (None, "", "")       # (the Config object, its digest, canonical JSON)
_config_logged: dict[str, str] = {}          # database URL -> digest known to be the newest config leaf's


def _digest_of(cfg) -> tuple[str, str]:
    global _config_digest
    if _config_digest[0] is not cfg:  # load_config caches the Config per (path, mtime)
        _config_digest = (cfg, *rules_digest_of(cfg))
    return _config_digest[1], _config_digest[2]


def rules_digest_of(cfg) -> tuple[str, str]:
    from .config_leaf import rules_digest

    return rules_digest(cfg)


def _newest_digest(db) -> str | None:
    import json

    from ..store import rows

    body = rows.newest_config_body(db)
    if body is None:
        return None
    try:
        data = json.loads(body)
    except ValueError:
        return None
    return data.get("digest") if isinstance(data, dict) else None


def record_config(db, actor: str, actor_auth: str, recorded_at: str, cfg=None) -> int | None:
    """Before a step's event leaf, in its transaction: a `config` leaf when the configuration
    that affects rules or roles is not the one the newest config leaf records (or none does).
    Per process, the digest last found or written for the database is remembered: a step under
    an unchanged configuration costs no query. The new leaf's index, or None."""
    from ..config import load_config
    from ..store import rows
    from ..store.db import database_url
    from .config_leaf import config_body

    digest, canonical = _digest_of(cfg if cfg is not None else load_config())
    url = database_url()
    if _config_logged.get(url) == digest:
        return None
    if _newest_digest(db) != digest:
        rows.lock_counter(db, SCOPE, SCOPE_YEAR)  # no other writer appends meanwhile; look again
        if _newest_digest(db) != digest:
            idx = append_leaf(db, "config", 0, config_body(digest, canonical, actor, actor_auth, recorded_at))
            rows.set_counter(db, "ledger_config", 0, idx + 1)
            # Not remembered: should this transaction roll back, the next step looks again.
            _config_logged.pop(url, None)
            return idx
    _config_logged[url] = digest
    return None
