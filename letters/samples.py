"""Fixed sample letters: one per kind and one per reply family (golden tests, benchmark,
previews). Fictitious agency and people; fixed dates."""
from __future__ import annotations

import datetime as dt
from dataclasses import replace

from .context import Agency, Applicant, LetterContext
from .kinds import LetterKind as K

D = dt.date
AGENCY = Agency(
    name="示例市自然资源和规划局", address="示例市人民路1号", postcode="100001", phone="010-12345678",
    review_body="示例市人民政府", court="示例市铁路运输法院")
APPLICANT = Applicant(name="王镕堃", address="示例市和平区建设路8号", phone="138****0000",
                      id_number="1101**********1234")
BASE = LetterContext(
    kind=K.REPLY, number="示自然资规公开〔2026〕12号", issued_on=D(2026, 3, 27), agency=AGENCY,
    case_number="YSQ-2026-0012", received_on=D(2026, 3, 2), applicant=APPLICANT,
    request_description="2025年度本市国有建设用地供应计划及其编制说明", requested_form="纸质",
    clerk_name="李明")


def _s(**changes) -> LetterContext:
    return replace(BASE, **changes)


REPLY_SAMPLES: dict[str, LetterContext] = {
    "reply-disclose": _s(outcome="disclose", attachments=("2025年度示例市国有建设用地供应计划",)),
    "reply-disclose-already-public": _s(
        outcome="disclose_already_public",
        already_public_where="该信息已于2025年3月10日在示例市人民政府门户网站“政府信息公开”专栏主动公开，"
                             "网址：http://www.example.gov.cn/zwgk/2025/0310.html"),
    "reply-partial": _s(
        outcome="partial", withheld="编制说明中涉及的土地权利人身份证号码、联系电话等个人信息",
        reasons="上述内容属于个人隐私，公开会对第三方合法权益造成损害，依照《中华人民共和国政府信息公开条例》"
                "第十五条的规定不予公开。",
        attachments=("2025年度示例市国有建设用地供应计划", "编制说明（已作区分处理）")),
    "reply-withhold": _s(
        outcome="withhold_process",
        reasons="您申请获取的编制说明系计划报批过程中形成的内部讨论稿，尚未形成最终文本。"),
    "reply-unable": _s(outcome="unable_not_held"),
    "reply-not-responsible": _s(
        outcome="not_responsible", responsible_agency="示例市住房和城乡建设局",
        responsible_agency_contact="010-87654321，示例市人民路2号",
        reasons="您申请获取的信息由示例市住房和城乡建设局制作并保存，本机关未参与制作。"),
    "reply-not-handled": _s(outcome="not_handled_repeat",
                            reasons="本机关已于2026年1月15日作出答复（示自然资规公开〔2026〕3号）。"),
    "reply-special-rules": _s(
        outcome="special_rules", request_description="和平区建设路8号房屋的不动产登记簿",
        reasons="请您依照《不动产登记暂行条例》及其实施细则的规定，持有效身份证明到示例市不动产登记中心申请查询。"),
    "reply-other": _s(outcome="other_correction_lapsed"),
}

KIND_SAMPLES: dict[str, LetterContext] = {
    "receipt": _s(kind=K.RECEIPT, number="示自然资规登〔2026〕12号", issued_on=D(2026, 3, 2),
                  answer_due=D(2026, 3, 30)),
    "correction-notice": _s(
        kind=K.CORRECTION_NOTICE, number="示自然资规告〔2026〕5号", issued_on=D(2026, 3, 6),
        request_description="有关土地的文件",
        correction_items=("请明确所需文件的名称、文号或者其他便于本机关检索的特征描述",
                          "请明确所需文件涉及的地块位置或者时间范围"),
        reasons="您可以参照本机关门户网站“政府信息公开指南”填写申请。",
        correction_workdays=15),
    "extension-notice": _s(
        kind=K.EXTENSION_NOTICE, number="示自然资规告〔2026〕6号", issued_on=D(2026, 3, 25),
        previous_due=D(2026, 3, 30), answer_due=D(2026, 4, 28), extension_workdays=20, new_due=D(2026, 4, 28),
        reasons="您申请的信息涉及多个年度、多个科室保存的档案，需要逐件检索核对。"),
    "delay-notice": _s(
        kind=K.DELAY_NOTICE, number="示自然资规告〔2026〕7号", issued_on=D(2026, 3, 25),
        request_description="2015年至2025年本市各年度建设用地审批文件",
        previous_due=D(2026, 3, 30), answer_due=D(2026, 5, 29), delay_until=D(2026, 5, 29),
        reasons="您申请公开的建设用地审批文件共计340余件，分散保存于市档案馆和本机关多个内设机构，"
                "需要逐件调取、检索并审查是否涉及第三方合法权益"),
    "third-party-consultation": _s(
        kind=K.THIRD_PARTY_CONSULTATION, number="示自然资规征〔2026〕2号", issued_on=D(2026, 3, 10),
        consult_party="示例置业有限公司",
        consult_information="示例置业有限公司于2025年提交的示例地块开发建设项目可行性研究报告", consult_due=D(2026, 3, 31)),
    "agency-consultation": _s(
        kind=K.AGENCY_CONSULTATION, number="示自然资规征〔2026〕3号", issued_on=D(2026, 3, 10),
        consult_party="示例市财政局",
        consult_information="《关于2025年度国有土地使用权出让收入使用情况的联合通知》"),
    "third-party-notice": _s(
        kind=K.THIRD_PARTY_NOTICE, number="示自然资规告〔2026〕8号", issued_on=D(2026, 4, 3),
        consult_party="示例置业有限公司",
        consult_information="示例地块开发建设项目可行性研究报告中的土壤污染状况调查结论",
        reasons="该地块拟用于建设学校，土壤污染状况直接关系周边居民和学生的身体健康，"
                "不公开可能对公共利益造成重大影响。"),
    "fee-notice": _s(
        kind=K.FEE_NOTICE, number="示自然资规告〔2026〕9号", issued_on=D(2026, 3, 12),
        # as engine/cases/fees.py states and computes it (tests/test_letters_cli_content.py checks)
        fee_basis="per_page", fee_quantity=150,
        fee_standard="按量计收，同一申请按页数分段累加计算：1—30页的部分，免费；31—100页的部分，10元/页；"
                     "101—200页的部分，20元/页；201页以上的部分，40元/页。",
        fee_breakdown=((1, 30, 30, 0), (31, 100, 70, 10), (101, 150, 50, 20)),
        fee_amount=1700, fee_pauses_answer=True, fee_due=D(2026, 4, 10),
        fee_how_to_pay="通过示例市非税收入缴款平台缴纳（缴款码见所附缴款通知），或者到本机关政务服务窗口缴纳"),
    "not-handled-notice": _s(
        kind=K.NOT_HANDLED_NOTICE, number="示自然资规公开〔2026〕13号", outcome="not_handled_petition",
        request_description="要求查处邻居违法搭建并答复处理结果",
        reasons="您可以通过12345政务服务便民热线或者示例市信访局网上信访平台反映。"),
    "service-receipt": _s(
        kind=K.SERVICE_RECEIPT, number="示自然资规送〔2026〕12号", issued_on=D(2026, 3, 27),
        served_title="政府信息公开申请答复书", served_number="示自然资规公开〔2026〕12号",
        delivery_method="direct", delivery_place="示例市人民路1号本机关政务服务窗口"),
}

SAMPLES: dict[str, LetterContext] = {**KIND_SAMPLES, **REPLY_SAMPLES}
