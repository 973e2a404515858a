"""Every letter kind and every outcome family, produced the way a clerk produces it: a case is
driven through `ogi case ...` (the in-process CLI), each letter's PDF is read back with
poppler's pdftotext and compared with a reviewed golden text in tests/golden/cli/.

The samples (letters/samples.py) stay as previews; these files are the proof. A golden text is
the PDF's text with every whitespace removed (line wrapping is layout, not content) and a line
break after each sentence or clause end, so a reviewer reads it like the letter.

After a deliberate change of a letter, regenerate with
`OGI_UPDATE_GOLDEN=1 pytest tests/test_golden_letters_cli.py`, then read the diff of
tests/golden/cli/ before committing it: that review is the point of the files.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

if not shutil.which("pdftotext"):
    pytest.skip("poppler-utils (pdftotext) is not installed", allow_module_level=True)

GOLDEN = Path(__file__).parent / "golden" / "cli"
UPDATE = os.environ.get("OGI_UPDATE_GOLDEN") == "1"

REG = ("case", "register", "--applicant", "张三", "--applicant-type", "natural", "--channel", "in_person",
       "--received", "2026-09-24", "--description", "2025年人民路改造工程立项批复", "--address", "示例市东风路8号")


def approve_and_deliver(day: str, method: str = "direct", *extra: str) -> list[tuple]:
    """decide -> approve (the reviewer wang) -> deliver, all on `day`."""
    return [("li", "case", "decide", "1", "--date", day),
            ("wang", "case", "approve", "1", "--date", day),
            ("li", "case", "deliver", "1", "--method", method, "--date", day, *extra)]


def propose(day: str, outcome: str, *extra: str) -> tuple:
    return ("li", "case", "propose", "1", "--outcome", outcome, "--date", day, *extra)


ACCEPT = ("li", "case", "accept", "1", "--date", "2026-09-25")

# name -> the clerk's steps after registration (actor, *argv). Each scenario is one case, 2026-0001.
SCENARIOS: dict[str, list[tuple]] = {
    # 予以公开, delivered in person: 登记回执, 答复书, 送达回证.
    "disclose": [ACCEPT, propose("2026-10-09", "disclose"), *approve_and_deliver("2026-10-12")],
    # 补正 then 延期 then 已主动公开, by post (no service receipt).
    "correction-extension-already-public": [
        ("li", "case", "request-correction", "1", "--items", "请写明文件名称或文号；请写明所需信息的年份",
         "--date", "2026-09-28"),
        ("li", "case", "receive-correction", "1", "--date", "2026-10-09"),
        ("wang", "case", "extend", "1", "--workdays", "10", "--reason", "需调取档案", "--date", "2026-10-30"),
        propose("2026-11-10", "disclose_already_public", "--where", "本机关门户网站“政府信息公开”栏目"),
        *approve_and_deliver("2026-11-11", "post")],
    # A third party objects, an agency agrees; partial answer over the objection (public interest):
    # 第三方征求意见书, 征求意见函, 部分公开答复书, 第三方告知书, delegated delivery.
    "third-party-partial": [
        ACCEPT,
        ("li", "case", "consult", "1", "--party", "示例建设有限公司", "--kind", "third_party",
         "--information", "工程施工合同", "--date", "2026-09-28"),
        ("li", "case", "consult", "1", "--party", "示例市发展和改革委员会", "--kind", "agency",
         "--information", "立项批复的会签意见", "--date", "2026-09-28"),
        ("li", "case", "consultation-reply", "1", "--consultation", "1", "--opinion", "object",
         "--reason", "涉及商业秘密", "--date", "2026-10-12"),
        ("li", "case", "consultation-reply", "1", "--consultation", "2", "--opinion", "agree", "--date", "2026-10-13"),
        propose("2026-10-20", "partial", "--withheld", "合同单价及银行账户", "--reason", "属于第三方商业秘密",
                "--disclose-to-third-party", "工程施工合同中的工程名称、合同总价和工期",
                "--public-interest", "该工程使用财政资金，合同总价和工期关系公众对公共资金使用的监督"),
        *approve_and_deliver("2026-10-22", "delegated", "--recipient", "李四")],
    # 按量收费 then paid, then withhold (过程性信息): 收费通知书, 不予公开答复书.
    "fee-paid-withhold": [
        ACCEPT,
        ("li", "case", "fee-notice", "1", "--basis", "per_page", "--quantity", "300", "--date", "2026-09-28",
         "--served", "2026-09-29"),
        ("li", "case", "fee-paid", "1", "--date", "2026-10-12"),
        propose("2026-10-20", "withhold_process", "--reason", "属于内部讨论记录"),
        *approve_and_deliver("2026-10-21")],
    # 逾期未缴费: the closing letter, delivered in person.
    "fee-lapsed": [
        ACCEPT,
        ("li", "case", "fee-notice", "1", "--basis", "per_page", "--quantity", "80", "--date", "2026-09-28"),
        ("li", "case", "fee-lapsed", "1", "--date", "2026-11-02"),
        ("li", "case", "deliver", "1", "--method", "direct", "--date", "2026-11-03")],
    # 逾期不补正: the closing letter, delivered in person.
    "correction-lapsed": [
        ("li", "case", "request-correction", "1", "--items", "请写明文件名称", "--date", "2026-09-28"),
        ("li", "case", "correction-lapsed", "1", "--date", "2026-10-26"),
        ("li", "case", "deliver", "1", "--method", "direct", "--date", "2026-10-27")],
    # 信访举报投诉 (条例第三十九条): proposed, decided and approved like a reply (the 不予处理告知书
    # is issued at approval), delivered in person.
    "not-handled-petition": [
        ("li", "case", "not-handled", "1", "--ground", "petition", "--reason", "申请内容系对某路段施工噪声的投诉",
         "--date", "2026-09-28"),
        ("li", "case", "decide", "1", "--date", "2026-09-28"),
        ("wang", "case", "approve", "1", "--date", "2026-09-28"),
        ("li", "case", "deliver", "1", "--method", "direct", "--date", "2026-09-29")],
    # 第三十五条 later date, then 无法提供（不掌握）.
    "delay-unable": [
        ACCEPT,
        ("wang", "case", "delay", "1", "--until", "2026-12-15", "--reason", "申请数量较大，需逐件检索",
         "--date", "2026-10-20"),
        propose("2026-12-01", "unable_not_held"), *approve_and_deliver("2026-12-02", "post")],
    "unable-needs-creation": [ACCEPT, propose("2026-10-09", "unable_needs_creation"), *approve_and_deliver("2026-10-12", "post")],
    "not-responsible": [ACCEPT, propose("2026-10-09", "not_responsible", "--responsible-agency",
                                        "示例市自然资源局（联系电话：0000-87654321）"),
                        *approve_and_deliver("2026-10-12", "post")],
    "special-rules": [ACCEPT, propose("2026-10-09", "special_rules", "--reason", "属于不动产登记资料，请依照《不动产登记暂行条例》查询"),
                      *approve_and_deliver("2026-10-12", "post")],
    "not-handled-repeat": [ACCEPT, propose("2026-10-09", "not_handled_repeat"), *approve_and_deliver("2026-10-12", "post")],
    "withhold-admin-query": [ACCEPT, propose("2026-10-09", "withhold_admin_query", "--reason", "申请查询本人的不动产权属状况",
                                             "--query-channel", "持身份证件到示例市不动产登记中心查询"),
                             *approve_and_deliver("2026-10-12", "post")],
    "unable-unclear": [
        ("li", "case", "request-correction", "1", "--items", "请写明文件名称或文号", "--date", "2026-09-28"),
        ("li", "case", "receive-correction", "1", "--date", "2026-10-09"),
        propose("2026-10-20", "unable_unclear"), *approve_and_deliver("2026-10-21", "post")],
    "not-handled-confirm": [ACCEPT, propose("2026-10-09", "not_handled_confirm"), *approve_and_deliver("2026-10-12", "post")],
    "other-article": [ACCEPT, propose("2026-10-09", "other", "--reason", "申请人要求更正其本人信息，已转本机关相关科室按更正程序办理",
                                      "--article", "第四十一条"),
                      *approve_and_deliver("2026-10-12", "post")],
    "withhold-third-party": [ACCEPT, propose("2026-10-09", "withhold_third_party", "--reason", "涉及个人隐私"),
                             *approve_and_deliver("2026-10-12", "post")],
}


def flatten(text: str) -> str:
    """PDF text as content: no whitespace or page numbers, one sentence or clause per line."""
    text = re.sub(r"—\s*\d+\s*—", "", text)
    text = re.sub(r"\s+", "", text)
    text = re.sub(r"〔\d{4}〕\d+号", lambda m: m.group(0) + "\n", text, count=1)  # the header ends at the 文号
    text = re.sub(r"([。；！？])", r"\1\n", text).replace("（联系人", "\n（联系人")
    return "\n".join(line for line in text.splitlines() if line) + "\n"


def pdf_text(path: str) -> str:
    out = subprocess.run(["pdftotext", path, "-"], capture_output=True, check=True)
    return flatten(out.stdout.decode("utf-8"))


def golden_name(letter: dict, same_kind: int) -> str:
    suffix = f"-{same_kind}" if same_kind > 1 else ""
    return f"{letter['kind']}{suffix}.txt"


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_letters_of_a_case_driven_through_the_cli(ogi_sqlite, name):
    ogi = ogi_sqlite
    ogi.ok(*REG)
    for actor, *argv in SCENARIOS[name]:
        ogi.ok(*argv, user=actor)
    letters = ogi.json("letter", "list", "1")
    assert letters and all(x["status"] == "rendered" for x in letters), letters
    folder = GOLDEN / name
    seen: dict[str, int] = {}
    produced = {}
    for letter in letters:
        seen[letter["kind"]] = seen.get(letter["kind"], 0) + 1
        produced[golden_name(letter, seen[letter["kind"]])] = pdf_text(letter["path"])
    if UPDATE:
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        for file, text in produced.items():
            (folder / file).write_text(text, encoding="utf-8")
    expected = {p.name: p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.txt"))}
    assert sorted(produced) == sorted(expected), f"{name}: letters produced differ from tests/golden/cli/{name}"
    for file, text in produced.items():
        assert text == expected[file], f"{name}/{file} differs from its golden text (OGI_UPDATE_GOLDEN=1 after review)"


def test_every_letter_kind_and_outcome_family_has_a_golden_text():
    """The goldens cover what the issue asks: every kind, every outcome family."""
    from ogi.letters.kinds import LetterKind
    from ogi.states.outcomes import OUTCOMES, Family

    kinds = {re.sub(r"-\d+$", "", p.stem) for p in GOLDEN.glob("*/*.txt")}
    assert {k.value for k in LetterKind} <= kinds, {k.value for k in LetterKind} - kinds
    outcomes = {step[5] for steps in SCENARIOS.values() for step in steps if step[1:3] == ("case", "propose")}
    outcomes |= {"other_correction_lapsed", "other_fee_unpaid", "not_handled_petition"}
    assert {OUTCOMES[o].family for o in outcomes} == set(Family)
