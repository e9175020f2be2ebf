"""The standard recruitment documents as Word (.docx), filled from the recorded steps.

Each document is a template with named placeholders ({{姓名}}, {{支部大会日期}} …). The built-in template is
generated here; an organisation may upload its own .docx using the same placeholders, and the newest upload of
the candidate's organisation or the nearest organisation above it is used instead.
"""

from __future__ import annotations

import io
import re
import zipfile

from django.core.exceptions import ValidationError
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt

from .choices import DocumentKind, Outcome, PersonRole, StepKind
from .models import DocumentTemplate
from .rules import History

K = StepKind
PLACEHOLDER = re.compile(r"\{\{\s*([^{}\s]+)\s*\}\}")


def _date(day) -> str:
    return f"{day.year}年{day.month}月{day.day}日" if day else "____年__月__日"


# (title, paragraphs, the step the document needs); a paragraph starting with ">" is right-aligned.
BUILTIN = {
    DocumentKind.ACTIVIST_RECORD: ("入党积极分子确定登记表", [
        "姓名：{{姓名}}    性别：{{性别}}    出生日期：{{出生日期}}",
        "工作单位及职务：{{工作单位}}",
        "递交入党申请书日期：{{申请日期}}    党组织派人谈话日期：{{谈话日期}}",
        "经{{确定积极分子会议}}研究，于{{确定积极分子日期}}确定{{姓名}}同志为入党积极分子，报上级党委备案。",
        "培养联系人：{{培养联系人}}",
        ">{{党支部}}（盖章）", ">{{确定积极分子日期}}",
    ], K.ACTIVIST_DETERMINATION),
    DocumentKind.PUBLIC_NOTICE: ("发展对象公示", [
        "经党支部委员会研究{{上级党委意见}}，拟将{{姓名}}同志（{{性别}}，{{出生日期}}出生，{{工作单位}}）列为发展对象，"
        "现予以公示。",
        "公示时间：{{公示开始日期}}至{{公示截止日期}}。公示期间，如对该同志有意见，请向党支部或上级党委反映。",
        ">{{党支部}}", ">{{公示开始日期}}",
    ], K.TARGET_CONSENT),
    DocumentKind.ADMISSION_RESOLUTION: ("支部党员大会接收预备党员决议", [
        "{{党支部}}于{{支部大会日期}}召开支部党员大会，讨论{{姓名}}同志的入党问题。",
        "应到会有表决权的党员{{应到人数}}名，实到会有表决权的党员{{实到人数}}名。经无记名投票表决，赞成{{赞成票}}票，"
        "反对{{反对票}}票，弃权{{弃权票}}票，赞成票超过应到会有表决权的党员半数，同意接收{{姓名}}同志为中共预备党员，"
        "报上级党委审批。",
        "入党介绍人：{{入党介绍人}}",
        ">支部书记（签名）：__________", ">{{支部大会日期}}",
    ], K.ADMISSION_MEETING),
    DocumentKind.APPROVAL_NOTICE: ("关于接收{{姓名}}同志为中共预备党员的批复", [
        "{{党支部}}：",
        "    你支部{{支部大会日期}}关于接收{{姓名}}同志为中共预备党员的决议收悉。经{{审批党委}}{{审批日期}}集体讨论，"
        "同意接收{{姓名}}同志为中共预备党员，预备期一年，自{{预备期开始}}至{{预备期结束}}。",
        "    请组织其进行入党宣誓，并继续做好教育考察工作。",
        ">{{审批党委}}（盖章）", ">{{审批日期}}",
    ], K.ADMISSION_APPROVAL),
    DocumentKind.CONVERSION: ("预备党员转正决议及审批意见", [
        "{{党支部}}于{{转正大会日期}}召开支部党员大会，讨论{{姓名}}同志的转正问题。应到会有表决权的党员{{转正应到人数}}名，"
        "实到会{{转正实到人数}}名；经无记名投票表决，赞成{{转正赞成票}}票，反对{{转正反对票}}票，弃权{{转正弃权票}}票，"
        "决议：{{转正结论}}。",
        "上级党委审批意见：经{{审批党委}}{{转正审批日期}}集体讨论，{{转正审批结论}}。{{转正日期说明}}",
        ">{{审批党委}}（盖章）", ">{{转正审批日期}}",
    ], K.CONVERSION_APPROVAL),
}


def values(candidate) -> dict:
    """Every placeholder's value for one candidate (unknown facts print as blanks to fill by hand)."""
    h = History(candidate, list(candidate.steps.all().prefetch_related("people__member")))

    def step(kind, passed=None):
        return h.last(kind, passed=passed)

    def names(kind, role):
        s = step(kind)
        return "、".join(p.member.name for p in s.people.all() if p.role == role) if s else ""

    talk, activist = step(K.APPLICATION_TALK), step(K.ACTIVIST_DETERMINATION)
    notice, consent = step(K.PUBLIC_NOTICE), step(K.TARGET_CONSENT)
    meeting, approval = h.admission_meeting, h.admission_approval
    conversion = step(K.CONVERSION_MEETING)
    conversion_approval = step(K.CONVERSION_APPROVAL)
    start, end = h.probation_start(), h.probation_end()
    outcome = Outcome(conversion.outcome).label if conversion and conversion.outcome else ""
    approved = conversion_approval.passed if conversion_approval else None
    return {
        "姓名": candidate.name, "性别": candidate.get_gender_display(), "出生日期": _date(candidate.birth_date),
        "工作单位": candidate.work_unit_and_post or "—", "党支部": candidate.org.name,
        "申请日期": _date(candidate.applied_on), "谈话日期": _date(talk.on if talk else None),
        "确定积极分子日期": _date(activist.on if activist else None),
        "确定积极分子会议": activist.get_meeting_type_display() if activist and activist.meeting_type else "支部委员会会议",
        "培养联系人": names(K.CONTACT_PERSONS, PersonRole.CONTACT) or "—",
        "入党介绍人": names(K.INTRODUCERS, PersonRole.INTRODUCER) or "—",
        "上级党委意见": f"并经{consent.org.name}同意" if consent else "",
        "公示开始日期": _date(notice.on if notice else None), "公示截止日期": _date(notice.ends_on if notice else None),
        "支部大会日期": _date(meeting.on if meeting else None),
        "应到人数": meeting.due_count if meeting else "", "实到人数": meeting.present_count if meeting else "",
        "赞成票": meeting.yes_count if meeting else "", "反对票": (meeting.no_count or 0) if meeting else "",
        "弃权票": (meeting.abstain_count or 0) if meeting else "",
        "审批党委": approval.org.name if approval else "", "审批日期": _date(approval.on if approval else None),
        "预备期开始": _date(start), "预备期结束": _date(end),
        "转正大会日期": _date(conversion.on if conversion else None),
        "转正应到人数": conversion.due_count if conversion else "",
        "转正实到人数": conversion.present_count if conversion else "",
        "转正赞成票": conversion.yes_count if conversion else "",
        "转正反对票": (conversion.no_count or 0) if conversion else "",
        "转正弃权票": (conversion.abstain_count or 0) if conversion else "",
        "转正结论": outcome + (f"（{conversion.months} 个月）" if conversion and conversion.months else ""),
        "转正审批日期": _date(conversion_approval.on if conversion_approval else None),
        "转正审批结论": ("同意支部大会的决议" if approved else "不同意支部大会的决议") if approved is not None else "",
        "转正日期说明": (f"转正时间为{_date(candidate.member.converted_on)}，党龄自该日算起。"
                     if candidate.member and candidate.member.converted_on else ""),
    }


def builtin_template(kind) -> bytes:
    title, paragraphs, _ = BUILTIN[kind]
    document = Document()
    document.styles["Normal"].font.size = Pt(12)
    heading = document.add_paragraph()
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = heading.add_run(title)
    run.bold, run.font.size = True, Pt(16)
    for text in paragraphs:
        paragraph = document.add_paragraph(text.lstrip(">"))
        if text.startswith(">"):
            paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _fill_paragraph(paragraph, data: dict) -> None:
    text = paragraph.text
    if "{{" not in text:
        return
    filled = PLACEHOLDER.sub(lambda m: str(data.get(m.group(1), m.group(0))), text)
    runs = paragraph.runs
    if runs:  # Word splits text into runs at will: the whole text goes into the first run, keeping its format
        runs[0].text = filled
        for extra in runs[1:]:
            extra.text = ""


def fill(content: bytes, data: dict) -> bytes:
    document = Document(io.BytesIO(content))
    for paragraph in document.paragraphs:
        _fill_paragraph(paragraph, data)
    for table in document.tables:
        for row in table.rows:
            for cell in row.cells:
                for paragraph in cell.paragraphs:
                    _fill_paragraph(paragraph, data)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def template_for(candidate, kind) -> bytes:
    """The organisation's own template (its own or the nearest above it), else the built-in one."""
    org = candidate.org
    paths = [org.path[:i] for i in range(len(org.path), 0, -type(org).steplen)]
    own = DocumentTemplate.objects.filter(kind=kind, org__path__in=paths).select_related("org")
    found = sorted(own, key=lambda t: (-len(t.org.path), -t.pk))
    return bytes(found[0].content) if found else builtin_template(kind)


def render(candidate, kind) -> tuple[str, bytes]:
    """(file name, .docx bytes); refused with a Chinese reason when the step it records has not happened."""
    if kind not in DocumentKind.values:
        raise ValidationError({"kind": "请选择文书种类"})
    title, _, needs = BUILTIN[kind]
    steps = candidate.steps.filter(kind=needs)
    if kind == DocumentKind.PUBLIC_NOTICE:
        steps = candidate.steps.filter(kind=K.PUBLIC_NOTICE)
    if kind == DocumentKind.ADMISSION_RESOLUTION:
        steps = steps.filter(passed=True)
    if not steps.exists():
        raise ValidationError({"kind": f"尚未登记“{StepKind(needs if kind != DocumentKind.PUBLIC_NOTICE else K.PUBLIC_NOTICE).label}”，"
                                       f"不能生成《{DocumentKind(kind).label}》"})
    data = values(candidate)
    return f"{candidate.name}-{DocumentKind(kind).label}.docx", fill(template_for(candidate, kind), data)


def validate_template(content: bytes) -> None:
    """An upload must be a Word document that opens; anything else is refused before it is stored."""
    if not content:
        raise ValidationError({"file": "请上传 .docx 模板文件"})
    if len(content) > 5 * 1024 * 1024:
        raise ValidationError({"file": "模板文件不能超过 5 MB"})
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            if "word/document.xml" not in archive.namelist():
                raise ValueError
        Document(io.BytesIO(content))
    except Exception:  # noqa: BLE001 - any failure to open means "not a .docx"
        raise ValidationError({"file": "模板文件应为 Word 文档（.docx），无法打开所上传的文件"}) from None


__all__ = ["DocumentKind", "render", "validate_template", "values"]
