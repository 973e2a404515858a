"""Signed checkpoints of the agency's log: the C2SP formats, Ed25519 through `cryptography`.

A checkpoint (https://c2sp.org/tlog-checkpoint) is the text

    ogi.example.gov.cn/some-agency        origin: which log
    1234567                               tree size, decimal, no leading zeros
    CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=    root hash (RFC 6962), base64
    time 2026-10-23T17:00:00+08:00        extension lines (optional); ogi writes the time here

signed as a note (https://c2sp.org/signed-note): the text, a blank line, then one line per
signature, "— <key name> base64(4-byte key ID || Ed25519 signature of the text)". The key ID is
SHA-256(key name || 0x0A || 0x01 || public key)[:4]; a verifier key is the text
"<name>+<hex key ID>+base64(0x01 || public key)", and a signer key (kept secret)
"PRIVATE+KEY+<name>+<hex key ID>+base64(0x01 || Ed25519 seed)", as golang.org/x/mod/sumdb/note
writes them, so `note` and other C2SP tools read ogi's keys and checkpoints.

    generate_key(name) -> (signer_key, verifier_key)
    verifier_key_of(signer_key) -> verifier_key
    sign(checkpoint, signer_key) -> note text          (a Checkpoint or its body text)
    parse_and_verify(note, verifier_key, origin=None) -> Checkpoint
    sign_note / open_note                               the same for any signed note text

Signatures by other keys are ignored, as the note spec requires (a witness may cosign); a
signature by the given key that fails, or the lack of one, rejects the whole note. Every
problem is a LedgerError with one Chinese line. `cryptography` is imported only when a key is
used, so reading this module costs nothing.
"""
from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import re
from dataclasses import dataclass

from ...errors import OgiError

ED25519 = 0x01            # signature type byte (signed-note, "Signature types")
MAX_SIGNATURES = 100      # the spec asks verifiers to accept at least 16; Go's note allows 100
MAX_NOTE_BYTES = 1 << 16  # a checkpoint is a few hundred bytes; refuse anything far larger
SIGNATURE_PREFIX = "\u2014 "   # em dash, space
TIME_PREFIX = "time "

_DECIMAL = re.compile(r"0|[1-9][0-9]{0,18}")
_HEX_ID = re.compile(r"[0-9a-f]{8}")
_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:Z|[+-]\d{2}:\d{2})")


class LedgerError(OgiError):
    """A checkpoint or key that cannot be trusted: malformed, altered, or from another key."""
    code = "ledger"


# --- keys -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Key:
    name: str
    key_id: bytes        # 4 bytes
    public: bytes        # 32-byte Ed25519 public key


def _valid_name(name: str) -> bool:
    """Key names: non-empty, no Unicode space, no '+' (signed-note, "Format")."""
    return bool(name) and not any(c.isspace() or c == "+" for c in name)


def key_id(name: str, public_key: bytes) -> bytes:
    """SHA-256(key name || 0x0A || 0x01 || public key)[:4] (signed-note, "Ed25519 signatures")."""
    return hashlib.sha256(name.encode() + b"\n" + bytes([ED25519]) + public_key).digest()[:4]


def _ed25519():
    from cryptography.hazmat.primitives.asymmetric import ed25519

    return ed25519


def _b64decode(text: str) -> bytes | None:
    """Strict standard base64 (RFC 4648 §4): padded, no whitespace, canonical."""
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw if base64.b64encode(raw).decode() == text else None


def _split_key(text: str, parts: int) -> list[str] | None:
    """Split on the first parts-1 '+' (the base64 tail may hold '+' itself)."""
    fields = text.split("+", parts - 1)
    return fields if len(fields) == parts else None


def _parse_verifier(text: str) -> _Key:
    fields = _split_key(text.strip(), 3)
    if fields is None or not _valid_name(fields[0]) or not _HEX_ID.fullmatch(fields[1]):
        raise LedgerError("验证公钥格式不正确（应为“名称+8位十六进制编号+Base64”），请从 ogi audit key 的输出重新复制")
    name, hex_id, material = fields
    raw = _b64decode(material)
    if raw is None or len(raw) < 1:
        raise LedgerError("验证公钥的 Base64 部分不正确，请从 ogi audit key 的输出重新复制")
    if raw[0] != ED25519 or len(raw) != 33:
        raise LedgerError("验证公钥不是 Ed25519 公钥（ogi 只支持 Ed25519），请使用 ogi 生成的密钥")
    if key_id(name, raw[1:]).hex() != hex_id:
        raise LedgerError("验证公钥的编号与公钥内容不符，公钥可能被改动过，请重新复制")
    return _Key(name, bytes.fromhex(hex_id), raw[1:])


def _parse_signer(text: str):
    """-> (_Key, Ed25519PrivateKey) from "PRIVATE+KEY+<name>+<hex id>+base64(0x01 || seed)"."""
    fields = _split_key(text.strip(), 5)
    if (fields is None or fields[:2] != ["PRIVATE", "KEY"] or not _valid_name(fields[2])
            or not _HEX_ID.fullmatch(fields[3])):
        raise LedgerError("签名私钥格式不正确（应为“PRIVATE+KEY+名称+8位十六进制编号+Base64”），请检查实例的签名密钥文件")
    name, hex_id, material = fields[2:]
    raw = _b64decode(material)
    if raw is None or len(raw) != 33 or raw[0] != ED25519:
        raise LedgerError("签名私钥不是 Ed25519 私钥或已损坏，请检查实例的签名密钥文件")
    private = _ed25519().Ed25519PrivateKey.from_private_bytes(raw[1:])
    public = private.public_key().public_bytes_raw()
    if key_id(name, public).hex() != hex_id:
        raise LedgerError("签名私钥的编号与密钥内容不符，密钥文件可能被改动过")
    return _Key(name, bytes.fromhex(hex_id), public), private


def _verifier_text(key: _Key) -> str:
    return f"{key.name}+{key.key_id.hex()}+{base64.b64encode(bytes([ED25519]) + key.public).decode()}"


def generate_key(name: str) -> tuple[str, str]:
    """A new Ed25519 key pair named `name` (e.g. the log's origin): (signer key, verifier key).
    The signer key is the secret the service keeps; the verifier key is published."""
    if not _valid_name(name):
        raise LedgerError("密钥名称不能为空，也不能含空白或“+”")
    private = _ed25519().Ed25519PrivateKey.generate()
    seed = private.private_bytes_raw()
    public = private.public_key().public_bytes_raw()
    kid = key_id(name, public)
    signer = f"PRIVATE+KEY+{name}+{kid.hex()}+{base64.b64encode(bytes([ED25519]) + seed).decode()}"
    return signer, _verifier_text(_Key(name, kid, public))


def verifier_key_of(signer_key: str) -> str:
    """The verifier key (public) that belongs to a signer key."""
    return _verifier_text(_parse_signer(signer_key)[0])


# --- notes (c2sp.org/signed-note) ---------------------------------------------------------------------

def _check_text(text: str, what: str) -> None:
    bad = next((c for c in text if c < " " and c != "\n"), None)
    if bad is not None:
        hint = "（换行被改成了 Windows 格式）" if bad == "\r" else ""
        raise LedgerError(f"{what}含有不允许的控制字符{hint}，文件可能已损坏或被改动")


def sign_note(text: str, signer_key: str) -> str:
    """The signed note of `text` (which ends with a newline): text, blank line, signature line."""
    if not text.endswith("\n") or len(text.encode()) > MAX_NOTE_BYTES:
        raise LedgerError("待签名的文本必须以换行结尾且不能过长")
    _check_text(text, "待签名的文本")
    key, private = _parse_signer(signer_key)
    signature = private.sign(text.encode())
    return f"{text}\n{SIGNATURE_PREFIX}{key.name} {base64.b64encode(key.key_id + signature).decode()}\n"


def open_note(note: str | bytes, verifier_key: str) -> str:
    """The text of a signed note after checking its signature by `verifier_key` (signed-note,
    "Signatures"): other keys' signatures are ignored; a failing signature by this key, or none
    at all, is a LedgerError."""
    key = _parse_verifier(verifier_key)
    if isinstance(note, (bytes, bytearray)):
        if len(note) > MAX_NOTE_BYTES:
            raise LedgerError(f"检查点文件过大（超过 {MAX_NOTE_BYTES} 字节），不是 ogi 的检查点")
        try:
            note = bytes(note).decode("utf-8")
        except UnicodeDecodeError:
            raise LedgerError("检查点文件不是 UTF-8 文本，文件可能已损坏或被改动") from None
    if len(note.encode()) > MAX_NOTE_BYTES:
        raise LedgerError(f"检查点文件过大（超过 {MAX_NOTE_BYTES} 字节），不是 ogi 的检查点")
    if note.startswith("\ufeff"):
        raise LedgerError("检查点文件被编辑器另存过（开头多了 BOM 标记），签名已不再对应，请使用原始文件")
    _check_text(note, "检查点文件")
    split = note.rfind("\n\n")
    if split < 0 or not note.endswith("\n") or split + 2 >= len(note):
        raise LedgerError("检查点文件缺少签名部分（正文后应有一个空行和签名行），文件可能不完整或被改动")
    text, lines = note[: split + 1], note[split + 2:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise LedgerError(f"检查点文件的签名行过多（超过 {MAX_SIGNATURES} 行），拒绝处理")
    verified = False
    for number, line in enumerate(lines, 1):
        name, signature = _parse_signature_line(line, number)
        if name != key.name or signature[:4] != key.key_id:
            continue    # another key's signature (a witness, a rotated key): ignored
        if not _verify(key, signature[4:], text.encode()):
            raise LedgerError("检查点的签名无效：签名之后内容被改动过，或签名不是用该公钥的私钥所签")
        verified = True
    if not verified:
        raise LedgerError(f"检查点没有公钥“{key.name}+{key.key_id.hex()}”的签名，请确认使用的是本机构的公钥")
    return text


def _parse_signature_line(line: str, number: int) -> tuple[str, bytes]:
    """"— <name> <base64>" -> (name, key ID || signature)."""
    if not line.startswith(SIGNATURE_PREFIX):
        raise LedgerError(f"检查点文件第 {number} 个签名行格式不正确，文件可能被改动")
    name, _, b64 = line[len(SIGNATURE_PREFIX):].partition(" ")
    raw = _b64decode(b64)
    if not _valid_name(name) or raw is None or len(raw) < 5:
        raise LedgerError(f"检查点文件第 {number} 个签名行格式不正确，文件可能被改动")
    return name, raw


def _verify(key: _Key, signature: bytes, message: bytes) -> bool:
    from cryptography.exceptions import InvalidSignature

    if len(signature) != 64:
        return False
    try:
        _ed25519().Ed25519PublicKey.from_public_bytes(key.public).verify(signature, message)
    except InvalidSignature:
        return False
    return True


# --- checkpoints (c2sp.org/tlog-checkpoint) -----------------------------------------------------------

@dataclass(frozen=True)
class Checkpoint:
    """A tree head: which log (origin), how many leaves (size), their RFC 6962 root, and when
    (time, to the second, with its UTC offset; None if the checkpoint has no time line).
    `extensions` keeps any other extension lines verbatim."""
    origin: str
    size: int
    root: bytes
    time: dt.datetime | None = None
    extensions: tuple[str, ...] = ()

    def body(self) -> str:
        """The note text (tlog-checkpoint, "Note text"), ending with a newline."""
        if not self.origin or "\n" in self.origin:
            raise ValueError("a checkpoint's origin is one non-empty line")
        if not isinstance(self.size, int) or not 0 <= self.size < 1 << 63:
            raise ValueError(f"bad tree size {self.size!r}")
        if len(self.root) != 32:
            raise ValueError("a checkpoint's root is a 32-byte SHA-256 hash")
        lines = [self.origin, str(self.size), base64.b64encode(self.root).decode()]
        if self.time is not None:
            if self.time.utcoffset() is None:
                raise ValueError("a checkpoint's time must carry its UTC offset")
            lines.append(TIME_PREFIX + self.time.isoformat(timespec="seconds"))
        for line in self.extensions:
            if not line or "\n" in line or line.startswith(TIME_PREFIX):
                raise ValueError(f"bad extension line {line!r}")
            lines.append(line)
        return "\n".join(lines) + "\n"


def parse_body(text: str) -> Checkpoint:
    """A checkpoint from its note text (what `open_note` returns); LedgerError if malformed."""
    def bad(detail: str) -> LedgerError:
        return LedgerError(f"检查点内容格式不正确：{detail}")

    if not text.endswith("\n"):
        raise bad("正文没有以换行结尾")
    lines = text[:-1].split("\n")
    if len(lines) < 3:
        raise bad("少于三行（日志标识、树大小、根哈希）")
    origin, size_text, root_text, *extra = lines
    if not origin:
        raise bad("第一行（日志标识）为空")
    if not _DECIMAL.fullmatch(size_text) or int(size_text) >= 1 << 63:
        raise bad("第二行（树大小）不是不带前导零的十进制数")
    root = _b64decode(root_text)
    if root is None or len(root) != 32:
        raise bad("第三行（根哈希）不是 32 字节的 Base64")
    time, extensions = None, []
    for line in extra:
        if not line:
            raise bad("有空的扩展行")
        if not line.startswith(TIME_PREFIX):
            extensions.append(line)
            continue
        if time is not None:
            raise bad("有多个时间行")
        time = _parse_time(line[len(TIME_PREFIX):])
        if time is None:
            raise bad("时间行应为“time 2026-10-23T17:00:00+08:00”的格式")
    return Checkpoint(origin, int(size_text), root, time, tuple(extensions))


def _parse_time(text: str) -> dt.datetime | None:
    if not _TIME.fullmatch(text):
        return None
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        return None


def sign(checkpoint: Checkpoint | str, signer_key: str) -> str:
    """The signed checkpoint note. A body text is checked to be a checkpoint before signing."""
    text = checkpoint.body() if isinstance(checkpoint, Checkpoint) else checkpoint
    parse_body(text)
    return sign_note(text, signer_key)


def parse_and_verify(note: str | bytes, verifier_key: str, origin: str | None = None) -> Checkpoint:
    """The checkpoint in a signed note, after checking the signature by `verifier_key` and, if
    given, that it is the checkpoint of the log `origin`. LedgerError on any problem."""
    checkpoint = parse_body(open_note(note, verifier_key))
    if origin is not None and checkpoint.origin != origin:
        raise LedgerError(f"这是日志“{checkpoint.origin}”的检查点，不是本机构日志“{origin}”的")
    return checkpoint
