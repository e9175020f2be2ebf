"""The 介绍信 as a Word document: the letter, its stub (存根) and the receipt (回执) to send back."""

from __future__ import annotations

import io

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt


def _date(day) -> str:
    return f"{day.year}年{day.month}月{day.day}日" if day else "—"


def render(letter) -> bytes:
    member = letter.member
    category = member.get_category_display()
    document = Document()
    style = document.styles["Normal"]
    style.font.size = Pt(12)

    def heading(text):
        paragraph = document.add_paragraph()
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        run = paragraph.add_run(text)
        run.bold, run.font.size = True, Pt(16)

    def line(text, right=False):
        paragraph = document.add_paragraph(text)
        if right:
            paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT

    heading("中国共产党党员组织关系介绍信（存根）")
    line(f"编号：{letter.number}", right=True)
    line(f"{member.name}同志（{member.get_gender_display()}，{category}）组织关系由{letter.from_org.name}"
         f"转至{letter.to_org_name}。转接原因：{letter.reason}。党费交至{_date(letter.dues_paid_until)}。")
    line(f"开具日期：{_date(letter.issued_on)}    有效期至：{_date(letter.valid_until)}")
    document.add_paragraph("—" * 30)
    heading("中国共产党党员组织关系介绍信")
    line(f"编号：{letter.number}", right=True)
    line(f"{letter.to_org_name}：")
    probation = ""
    if member.category == "probationary":
        probation = f"该同志于{_date(member.joined_on)}被接收为预备党员，预备期从该日算起。"
    line(f"    兹介绍{member.name}同志（{member.get_gender_display()}，{category}）的党员组织关系转去你处，"
         f"请接洽。该同志党费已交到{_date(letter.dues_paid_until)}。{probation}")
    line(f"（有效期至{_date(letter.valid_until)}）")
    line(f"{letter.from_org.name}（盖章）", right=True)
    line(_date(letter.issued_on), right=True)
    document.add_paragraph("—" * 30)
    heading("回执")
    line(f"编号：{letter.number}", right=True)
    line(f"{letter.from_org.name}：")
    line(f"    {member.name}同志的党员组织关系已转到我处。")
    line("（接收党组织盖章）    年    月    日", right=True)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
