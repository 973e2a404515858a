"""Signed checkpoints (engine/ledger/checkpoint.py): C2SP signed-note and tlog-checkpoint.

Published vectors, values copied verbatim:
  - golang.org/x/mod sumdb/note/note_test.go (github.com/golang/mod at commit
    fe2ec04f7c3c3aa6fad97631aafcff6e49e2d1db; BSD): the PeterNeumann signer and verifier keys, the
    note they sign (Ed25519 is deterministic, so signing must give the same bytes) and the
    EnochRoot signature; TestOpen's malformed notes and its altered signature.
  - c2sp.org/signed-note (github.com/C2SP/C2SP signed-note.md at commit
    5ba5ee830903e91240fc6f9f3a7a9293d49e69c9): the example.com/foo verifier key and note.
  - Real checkpoints of the Go checksum database (sum.golang.org/latest of 9 and 10 January
    2023, with a witness's cosignatures), as printed in google/trillian-examples
    witness/golang/cmd/addrwitness/README.md (two versions of that file), verified with the
    published sum.golang.org verifier key (golang.org/x/mod sumdb, cmd/go's default GOSUMDB key).
"""
from __future__ import annotations

import base64
import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ogi.engine.ledger import checkpoint as cp
from ogi.engine.ledger.checkpoint import (Checkpoint, LedgerError, generate_key, open_note, parse_and_verify,
                                          parse_body, sign, sign_note, verifier_key_of)
from ogi.engine.ledger.merkle import leaf_hash, root
from ogi.errors import OgiError

DASH = "\u2014"

# golang.org/x/mod sumdb/note/note_test.go
PETER_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
GO_TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
PETER_SIG = f"{DASH} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
ENOCH_SIG = f"{DASH} EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n"

# c2sp.org/signed-note, "Verifier keys", Example
C2SP_VKEY = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
C2SP_NOTE = (f"This is an example message.\n\n{DASH} example.com/foo "
             "Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n")

# c2sp.org/tlog-checkpoint, the example at the top (its key is not published: body only)
C2SP_CHECKPOINT_BODY = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"

# sum.golang.org's verifier key, and two of its checkpoints (google/trillian-examples, above)
SUMDB_VKEY = "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8"
SUMDB_CHECKPOINTS = [
    (15067302, "gJyioq6dwR9n+NjEWORfYmH+ubeYm3kH42BBQ0bTpYI=",
     "go.sum database tree\n15067302\ngJyioq6dwR9n+NjEWORfYmH+ubeYm3kH42BBQ0bTpYI=\n\n"
     f"{DASH} sum.golang.org Az3grp1rvWOs5NKlr/xR4GLN/CDyzzakmt1o61uSxYKpK1SerqOP2ClbX/peKUZjYnyomH5Xz7GZG3TpB7OeKn4E2ww=\n"
     f"{DASH} test.example.com qTGhC/xIPQ0AXKHK6Y+9ypRfuvMZWPjRXM8NiOg5M1WREn07VQXyuIXM3NRNav3ieVFLUqDRK77PWDmL6w8w84UqeAw=\n"),
    (15081221, "BoMMe1wd25Tco0mYGROkyqxHZWx+hcSCtMV315Lu6Lg=",
     "go.sum database tree\n15081221\nBoMMe1wd25Tco0mYGROkyqxHZWx+hcSCtMV315Lu6Lg=\n\n"
     f"{DASH} sum.golang.org Az3grilD7vQqTrv66jRgKM84Y80KTprrSt4bKmiOPxgmS5ZVBTeCl6dUvjYnN13R+C8j0jGY1WnUADGMkok3U0m2Zgo=\n"
     f"{DASH} test.example.com qTGhC3917mAr6hGh+T55tNjxaej/D/GQivJZRIj7XGdAcQOTqfMWIPgp/v/904LEduN/h2sSRtHUJXUL4b9Gm7Bz4Qc=\n"
     f"{DASH} test.example.com /Pa7Y/dUvWMAAAAAQVwkQVi81ArPV7BIaQYrMIxyzY0m8a4BdeeBhSKd3PviPK4/3Sd+NKSc5N7PDTCfAkUSVniN"
     "+R2oKIggA4iiDQ==\n"),
]

ORIGIN = "ogi.example.gov.cn/shiyan-shi"
BEIJING = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture(scope="module")
def keys():
    return generate_key(ORIGIN)


def _checkpoint(size=3, time=dt.datetime(2026, 10, 23, 17, 30, 5, tzinfo=BEIJING)):
    return Checkpoint(ORIGIN, size, root([leaf_hash(bytes([i])) for i in range(size)]), time)


def _is_chinese_line(message: str) -> bool:
    return "\n" not in message and any("\u4e00" <= c <= "\u9fff" for c in message)


# --- published vectors ------------------------------------------------------------------------------

def test_go_note_signs_byte_for_byte_and_opens():
    note = sign_note(GO_TEXT, PETER_SKEY)
    assert note == GO_TEXT + "\n" + PETER_SIG
    assert open_note(note, PETER_VKEY) == GO_TEXT
    assert open_note(note.encode(), PETER_VKEY) == GO_TEXT
    assert verifier_key_of(PETER_SKEY) == PETER_VKEY
    assert cp.key_id("PeterNeumann", base64.b64decode(PETER_VKEY.split("+", 2)[2])[1:]).hex() == "c74f20a3"


def test_go_note_with_two_signers_opens_with_either_key():
    note = GO_TEXT + "\n" + PETER_SIG + ENOCH_SIG
    assert open_note(note, PETER_VKEY) == GO_TEXT
    assert open_note(note, ENOCH_VKEY) == GO_TEXT
    # TestOpen: repeated and altered signatures of *another* key are ignored
    altered_enoch = ENOCH_SIG[:60] + "ABCD" + ENOCH_SIG[60:]
    assert open_note(GO_TEXT + "\n" + PETER_SIG + PETER_SIG + ENOCH_SIG + ENOCH_SIG + altered_enoch,
                     PETER_VKEY) == GO_TEXT


def test_go_note_altered_signature_is_refused():
    altered = GO_TEXT + "\n" + PETER_SIG[:60] + "ABCD" + PETER_SIG[60:]
    with pytest.raises(LedgerError, match="签名"):
        open_note(altered, PETER_VKEY)


@pytest.mark.parametrize("note", [
    GO_TEXT,
    GO_TEXT + "\n",
    GO_TEXT + "\n" + PETER_SIG[:-1],
    "\x01" + GO_TEXT + "\n" + PETER_SIG,
    GO_TEXT + "\n" + PETER_SIG.replace("PeterNeumann", "Bad Name")[:-1],
    GO_TEXT + "\n" + PETER_SIG + "Unexpected line.\n",
    GO_TEXT + "\n" + PETER_SIG * 101,
], ids=["no-signatures", "blank-only", "no-final-newline", "control-char", "bad-name", "trailing-line",
        "101-signatures"])
def test_go_malformed_notes_are_refused(note):
    with pytest.raises(LedgerError) as err:
        open_note(note, PETER_VKEY)
    assert _is_chinese_line(err.value.message)


def test_go_note_not_utf8_is_refused():
    with pytest.raises(LedgerError, match="UTF-8"):
        open_note(b"\xff" + (GO_TEXT + "\n" + PETER_SIG).encode(), PETER_VKEY)


def test_c2sp_example_note_opens():
    assert open_note(C2SP_NOTE, C2SP_VKEY) == "This is an example message.\n"
    with pytest.raises(LedgerError, match="没有公钥"):
        open_note(C2SP_NOTE, PETER_VKEY)


def test_c2sp_example_checkpoint_body_parses():
    c = parse_body(C2SP_CHECKPOINT_BODY)
    assert (c.origin, c.size, c.time, c.extensions) == ("example.com/behind-the-sofa", 20852163, None, ())
    assert base64.b64encode(c.root).decode() == "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I="
    assert c.body() == C2SP_CHECKPOINT_BODY


@pytest.mark.parametrize("size,root_b64,note", SUMDB_CHECKPOINTS, ids=["2023-01-09", "2023-01-10"])
def test_real_go_checksum_database_checkpoints_verify(size, root_b64, note):
    c = parse_and_verify(note, SUMDB_VKEY, origin="go.sum database tree")
    assert (c.origin, c.size, c.time) == ("go.sum database tree", size, None)
    assert base64.b64encode(c.root).decode() == root_b64
    with pytest.raises(LedgerError):
        parse_and_verify(note.replace(f"\n{size}\n", f"\n{size - 1}\n"), SUMDB_VKEY)


# --- round trip and tampering ------------------------------------------------------------------------

def test_round_trip(keys):
    signer, verifier = keys
    assert verifier_key_of(signer) == verifier
    assert signer.startswith(f"PRIVATE+KEY+{ORIGIN}+") and verifier.startswith(f"{ORIGIN}+")
    c = _checkpoint()
    note = sign(c, signer)
    assert note.startswith(f"{ORIGIN}\n3\n{base64.b64encode(c.root).decode()}\ntime 2026-10-23T17:30:05+08:00\n\n"
                           f"{DASH} {ORIGIN} ")
    assert parse_and_verify(note, verifier) == c
    assert parse_and_verify(note, verifier, origin=ORIGIN) == c
    assert sign(c.body(), signer) == note    # Ed25519 is deterministic


def test_a_checkpoint_without_time_and_with_extensions(keys):
    signer, verifier = keys
    c = Checkpoint(ORIGIN, 0, root([]), None, ("note for the auditor",))
    assert parse_and_verify(sign(c, signer), verifier) == c


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_any_flipped_byte_is_refused(keys, data):
    signer, verifier = keys
    raw = bytearray(sign(_checkpoint(), signer).encode())
    at = data.draw(st.integers(0, len(raw) - 1))
    raw[at] ^= data.draw(st.integers(1, 255))
    with pytest.raises(LedgerError) as err:
        parse_and_verify(bytes(raw), verifier)
    assert _is_chinese_line(err.value.message)


@settings(max_examples=40, deadline=None)
@given(size=st.integers(0, 2**63 - 1), seconds=st.integers(0, 4 * 10**9), hours=st.integers(-12, 14))
def test_round_trip_of_any_size_and_time(keys, size, seconds, hours):
    signer, verifier = keys
    when = dt.datetime.fromtimestamp(seconds, dt.timezone(dt.timedelta(hours=hours)))
    c = Checkpoint(ORIGIN, size, leaf_hash(str(size).encode()), when)
    got = parse_and_verify(sign(c, signer), verifier)
    assert got == c and got.time.utcoffset() == dt.timedelta(hours=hours)


def test_wrong_key_is_refused(keys):
    signer, _ = keys
    note = sign(_checkpoint(), signer)
    _, other_same_name = generate_key(ORIGIN)
    with pytest.raises(LedgerError, match="没有公钥"):
        parse_and_verify(note, other_same_name)
    with pytest.raises(LedgerError, match="没有公钥"):
        parse_and_verify(note, PETER_VKEY)


def test_a_signature_whose_key_id_is_forged_to_match_is_refused(keys):
    """Another key signs, but its line claims our name and key ID: the known key must verify it."""
    signer, verifier = keys
    other_signer, _ = generate_key(ORIGIN)
    forged = sign(_checkpoint(), other_signer)
    ours = verifier.split("+")[1]
    head, _, sig = forged.rpartition(" ")
    raw = base64.b64decode(sig)
    forged = head + " " + base64.b64encode(bytes.fromhex(ours) + raw[4:]).decode() + "\n"
    with pytest.raises(LedgerError, match="签名无效"):
        parse_and_verify(forged, verifier)


def test_a_cosigned_checkpoint_still_verifies(keys):
    """Signatures by other keys (a witness) are ignored; ours must still be there and valid."""
    signer, verifier = keys
    witness_signer, witness_verifier = generate_key("witness.example.org")
    note = sign(_checkpoint(), signer)
    witness_line = sign_note(_checkpoint().body(), witness_signer).rsplit("\n\n", 1)[1]
    cosigned = note + witness_line
    assert parse_and_verify(cosigned, verifier) == _checkpoint()
    assert parse_and_verify(cosigned, witness_verifier) == _checkpoint()


def test_the_wrong_log_is_refused(keys):
    signer, verifier = keys
    with pytest.raises(LedgerError, match="不是本机构日志"):
        parse_and_verify(sign(_checkpoint(), signer), verifier, origin="ogi.example.gov.cn/other")


# --- malformed checkpoints and keys --------------------------------------------------------------------

@pytest.mark.parametrize("body", [
    "origin\n3\n",
    "\n3\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
    "origin\n03\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
    "origin\n-3\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
    "origin\n3 \nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
    "origin\n99999999999999999999\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
    "origin\n3\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==\n",
    "origin\n3\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB=\n",
    "origin\n3\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n",
    "origin\n3\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n",
    "origin\n3\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\ntime 2026-10-23 17:30:05\n",
    "origin\n3\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\ntime 2026-02-30T17:30:05+08:00\n",
    "origin\n3\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\ntime 2026-10-23T17:30:05Z\ntime 2026-10-23T17:30:05Z\n",
    "origin\n3\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
])
def test_malformed_bodies_are_refused_even_when_signed(keys, body):
    signer, verifier = keys
    with pytest.raises(LedgerError) as err:
        parse_body(body)
    assert err.value.message.startswith("检查点内容格式不正确")
    with pytest.raises(LedgerError):
        sign(body, signer)
    if body.endswith("\n"):
        with pytest.raises(LedgerError, match="检查点内容格式不正确"):
            parse_and_verify(sign_note(body, signer), verifier)


def test_time_may_be_utc_with_z():
    c = parse_body("o\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\ntime 2026-10-23T09:30:05Z\n")
    assert c.time == dt.datetime(2026, 10, 23, 17, 30, 5, tzinfo=BEIJING)


@pytest.mark.parametrize("key", [
    "", "PeterNeumann", "PeterNeumann+c74f20a3", "PeterNeumann+c74f20a+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
    "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
    "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
    "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TX",
    "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T",
    # golang.org/x/mod TestNewVerifier: wrong length key and unknown algorithm, key hash adjusted
    "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==",
    "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
    PETER_SKEY,
])
def test_malformed_verifier_keys_are_refused(key):
    with pytest.raises(LedgerError) as err:
        open_note(GO_TEXT + "\n" + PETER_SIG, key)
    assert _is_chinese_line(err.value.message)


def test_every_mangling_of_the_go_signer_key_is_refused():
    """golang.org/x/mod TestNewSigner: every proper substring and every one-byte change fails."""
    key = PETER_SKEY
    bad = {key[i:j] for i in range(len(key) + 1) for j in range(i + 1, len(key) + 1) if (i, j) != (0, len(key))}
    bad |= {key[:i] + chr(ord(key[i]) + 1) + key[i + 1:] for i in range(len(key))}
    accepted = []
    for k in bad:
        try:
            verifier_key_of(k)
            accepted.append(k)
        except LedgerError:
            pass
    assert accepted == []


def test_every_mangling_of_the_go_verifier_key_is_refused():
    """golang.org/x/mod TestNewVerifier, through open_note."""
    key, note = PETER_VKEY, GO_TEXT + "\n" + PETER_SIG
    bad = {key[i:j] for i in range(len(key) + 1) for j in range(i + 1, len(key) + 1) if (i, j) != (0, len(key))}
    bad |= {key[:i] + chr(ord(key[i]) + 1) + key[i + 1:] for i in range(len(key))}
    accepted = []
    for k in sorted(bad):
        try:
            open_note(note, k)
            accepted.append(k)
        except LedgerError:
            pass
    assert accepted == []


@pytest.mark.parametrize("name", ["", "a b", "a+b", "名称\u3000x", "tab\tname"])
def test_bad_key_names_are_refused(name):
    with pytest.raises(LedgerError, match="密钥名称"):
        generate_key(name)


def test_text_to_sign_must_be_a_clean_text(keys):
    signer, _ = keys
    for text in ["no newline", "carriage\r\n", "x" * (cp.MAX_NOTE_BYTES + 1) + "\n"]:
        with pytest.raises(LedgerError):
            sign_note(text, signer)


def test_a_crlf_copy_is_named(keys):
    signer, verifier = keys
    with pytest.raises(LedgerError, match="Windows"):
        parse_and_verify(sign(_checkpoint(), signer).replace("\n", "\r\n"), verifier)


def test_a_copy_saved_with_a_bom_is_named(keys):
    signer, verifier = keys
    with pytest.raises(LedgerError, match="BOM"):
        parse_and_verify("\ufeff" + sign(_checkpoint(), signer), verifier)
    with pytest.raises(LedgerError, match="BOM"):
        parse_and_verify(b"\xef\xbb\xbf" + sign(_checkpoint(), signer).encode(), verifier)


def test_a_huge_file_is_refused_before_parsing():
    with pytest.raises(LedgerError, match="过大"):
        open_note(b"x" * (cp.MAX_NOTE_BYTES + 1), PETER_VKEY)


def test_ledger_error_is_an_ogi_error():
    assert issubclass(LedgerError, OgiError) and LedgerError.code == "ledger"


def test_the_checkpoint_body_refuses_what_it_cannot_write():
    good = _checkpoint()
    for bad in [Checkpoint("", 1, good.root), Checkpoint("a\nb", 1, good.root), Checkpoint(ORIGIN, -1, good.root),
                Checkpoint(ORIGIN, 1, good.root[:31]), Checkpoint(ORIGIN, 1, good.root, dt.datetime(2026, 1, 1)),
                Checkpoint(ORIGIN, 1, good.root, None, ("",)), Checkpoint(ORIGIN, 1, good.root, None, ("time x",))]:
        with pytest.raises(ValueError):
            bad.body()
