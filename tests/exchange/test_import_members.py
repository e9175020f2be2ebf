"""Member import: tolerant reading, one validation path, every error at once, idempotent commit."""
from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from python_calamine import CalamineWorkbook

from dangjian.core.models import AuditRecord
from dangjian.exchange import actions, workbooks
from dangjian.exchange.models import ImportJob, ImportRow
from dangjian.members.models import Member
from dangjian.members.search import id_number_index

from .conftest import xlsx

pytestmark = pytest.mark.django_db


def start(world, data, *, actor=None, org=None, keep_valid=False, commit=True, name="花名册.xlsx"):
    return actions.do_start_import(kind="members", file_name=name, data=data, root_org=org or world.sta,
                                   actor=actor or world.committee_organizer, keep_valid=keep_valid,
                                   commit=commit, run_now=True)


def errors_of(job):
    return {(r.row_number, column, reason) for r in job.rows.filter(outcome="error")
            for column, reason in r.errors}


def messy_workbook(world, ids):
    """What a real office sends: a title row, header variants, full-width digits, every date style, mistakes."""
    a, b, c, d, e = ids(dt.date(1985, 3, 4)), ids(dt.date(1990, 1, 2), False), ids(dt.date(1978, 12, 30)), ids(), ids()
    bad_checksum = a[:-1] + ("0" if a[-1] != "0" else "1")
    fullwidth = "".join(chr(ord(ch) + 0xFEE0) if ch.isdigit() else ch for ch in c)
    cousin_code = world.br3.code
    rows = [
        ["东华街道党工委党员花名册（2026年）"],                                   # 1 title
        ["序号", "姓名", "身份证号码", "性别", "出生年月日", "文化程度", "职业", "入党时间", "转正时间",
         "党员类型", "所在支部", "手机号", "家庭住址"],                             # 2 header (variants)
        [1, " 张 三 ", a, "男", dt.date(1985, 3, 4), "本科", "专业技术人员", dt.date(2010, 7, 1),
         dt.date(2011, 7, 1), "正式", "BR1", 13800138000.0, "北京市东城区"],     # 3 ok, real dates, phone as number
        [2, "李四", b, "女性", "1990.1.2", "大专", "工人", "2015年7月1日", None, "预备", "中共东华街道第二支部委员会",
         "１３９００１３９０００", None],                                           # 4 ok, text dates, full-width phone
        [],                                                                        # 5 blank row (numbers stay true)
        [3, "王五", fullwidth, None, None, "高中", "农民", 39264, "2008/7/1", None, "BR2", None, None],  # 6 serial date
        [4, "赵六", bad_checksum, "男", None, "本科", "工人", "2010-07-01", None, None, "BR1", None, None],  # 7 checksum
        [5, "钱七", "1.10105E+17", "男", None, "本科", "工人", "2010-07-01", None, None, "BR1", None, None],  # 8 E-notation
        [6, "孙八", d, "男", None, "本科", "工人", "2010-07-01", None, None, cousin_code, None, None],  # 9 outside scope
        [7, "周九", a, "男", None, "本科", "工人", "2010-07-01", None, None, "BR1", None, None],  # 10 duplicate of row 3
        [8, "吴十", e, "女", None, "博士后", "工人", "2010-07-01", "2009-07-01", "正式", "BR1", None, None],  # 11 3 errors
    ]
    return xlsx(rows), dict(a=a, b=b, c=c, d=d, e=e)


def test_messy_workbook_imports_exactly_the_good_rows_and_reports_every_bad_cell(world, ids):
    data, n = messy_workbook(world, ids)
    job = start(world, data, keep_valid=True)
    assert job.state == ImportJob.State.DONE, job.message
    assert (job.new_count, job.updated_count, job.unchanged_count, job.error_count) == (3, 0, 0, 5)
    zhang = Member.objects.get(id_number_index=id_number_index(n["a"]))
    assert (zhang.name, zhang.org, zhang.phone, zhang.education) == ("张三", world.br1, "13800138000", "undergraduate")
    li = Member.objects.get(id_number_index=id_number_index(n["b"]))
    assert (li.birth_date, li.joined_on, li.gender, li.category, li.org) == (
        dt.date(1990, 1, 2), dt.date(2015, 7, 1), "female", "probationary", world.br2)
    assert li.phone == "13900139000"
    wang = Member.objects.get(id_number_index=id_number_index(n["c"]))
    assert (wang.joined_on, wang.converted_on, wang.birth_date) == (dt.date(2007, 7, 1), dt.date(2008, 7, 1),
                                                                    dt.date(1978, 12, 30))
    errors = errors_of(job)
    rows_with_errors = {row for row, _, _ in errors}
    assert rows_with_errors == {7, 8, 9, 10, 11}
    assert (7, "身份证号码", "公民身份号码校验位错误，请核对后重新输入") in errors
    assert any(r == 8 and "科学计数法" in reason for r, _, reason in errors)
    assert any(r == 9 and col == "所在支部" and "不在本次导入的范围内" in reason for r, col, reason in errors)
    assert (10, "身份证号码", "与第 3 行的公民身份号码重复") in errors
    row11 = {(col, reason) for r, col, reason in errors if r == 11}
    assert any(col == "文化程度" and "博士后" in reason for col, reason in row11)
    assert ("转正时间", "转正日期应晚于入党日期") in row11
    assert Member.objects.filter(name="孙八").count() == 0


def test_all_or_nothing_by_default_commits_nothing_when_any_row_is_bad(world, ids):
    data, _ = messy_workbook(world, ids)
    before = Member.objects.count()
    job = start(world, data)
    assert job.state == ImportJob.State.VALIDATED
    assert job.error_count == 5 and job.new_count == 3
    assert Member.objects.count() == before
    with pytest.raises(ValidationError, match="只导入无误的行"):
        actions.do_commit_import(job, actor=world.committee_organizer, run_now=True)
    assert Member.objects.count() == before


def test_reimporting_the_same_file_changes_nothing(world, ids):
    data, _ = messy_workbook(world, ids)
    start(world, data, keep_valid=True)
    snapshot = list(Member.objects.order_by("pk").values_list("pk", "version", "name", "org_id"))
    audit_count = AuditRecord.objects.count()
    again = start(world, data, keep_valid=True)
    assert (again.new_count, again.updated_count, again.unchanged_count) == (0, 0, 3)
    assert list(Member.objects.order_by("pk").values_list("pk", "version", "name", "org_id")) == snapshot
    assert not AuditRecord.objects.filter(pk__gt=0, action="member.import", seq__gt=audit_count).exists()


def test_imported_members_enter_the_history_and_a_member_placed_elsewhere_moves_today(world, ids):
    import datetime as dt

    from dangjian.members.models import MemberPeriod

    data, _ = messy_workbook(world, ids)
    before = set(Member.objects.values_list("pk", flat=True))
    start(world, data, keep_valid=True)
    new = Member.objects.exclude(pk__in=before)
    assert new.exists()
    for member in new:
        periods = list(MemberPeriod.objects.filter(member=member).values_list("org_id", "valid_from", "valid_to"))
        assert periods == [(member.org_id, None, None)]
    moved = world.members["BR1"][2]
    rows = [["姓名", "公民身份号码", "人员类别", "入党日期", "所在党组织"],
            [moved.name, moved.id_number, "工人", moved.joined_on, world.br2.code]]
    start(world, xlsx(rows), actor=world.committee_organizer, org=world.sta)
    periods = list(MemberPeriod.objects.filter(member=moved).order_by("id").values_list("org_id", "valid_to"))
    assert periods == [(world.br1.pk, dt.date.today()), (world.br2.pk, None)]


def test_changed_row_updates_the_member_and_blank_cells_keep_stored_values(world, ids):
    existing = world.members["BR1"][1]
    rows = [["姓名", "公民身份号码", "人员类别", "入党日期", "联系电话", "现居住地"],
            [existing.name, existing.id_number, "工人", existing.joined_on, "13912345678", None]]
    job = start(world, xlsx(rows))
    assert (job.state, job.updated_count) == (ImportJob.State.DONE, 1)
    existing.refresh_from_db()
    assert (existing.phone, existing.occupation_category, existing.version) == ("13912345678", "worker", 2)
    assert existing.address == "北京市东城区东华门街道"  # blank cell: unchanged
    record = AuditRecord.objects.filter(action="member.import").latest("seq")
    assert record.after["updated"] == {str(existing.pk): ["occupation_category", "phone"]}


def test_member_of_another_branch_is_never_changed_by_an_import(world, ids):
    cousin = world.members["BR3"][0]
    rows = [["姓名", "公民身份号码", "人员类别", "入党日期"], ["改名", cousin.id_number, "工人", "2010-07-01"]]
    job = start(world, xlsx(rows), actor=world.secretary, org=world.br1)
    assert job.error_count == 1
    assert "不在您的管理范围内" in errors_of(job).pop()[2]
    cousin.refresh_from_db()
    assert cousin.name != "改名"


def test_import_into_an_organisation_outside_scope_is_refused_and_stores_nothing(world, ids):
    rows = [["姓名", "公民身份号码", "人员类别", "入党日期"], ["张三", ids(), "工人", "2010-07-01"]]
    with pytest.raises(ValidationError, match="不在您的管理范围内"):
        start(world, xlsx(rows), actor=world.secretary, org=world.br2)
    assert not ImportJob.objects.exists()


def test_missing_required_column_fails_the_whole_file_with_its_name(world, ids):
    rows = [["姓名", "公民身份号码", "入党日期"], ["张三", ids(), "2010-07-01"]]
    job = start(world, xlsx(rows))
    assert job.state == ImportJob.State.FAILED
    assert job.message == "缺少必填列：人员类别"
    assert not job.rows.exists()


def test_id_number_stored_as_a_number_is_reported_unreadable_not_guessed(world, ids):
    rows = [["姓名", "身份证号", "人员类别", "入党日期"], ["张三", 110101198503041234.0, "工人", "2010-07-01"]]
    job = start(world, xlsx(rows))
    assert job.error_count == 1
    assert "存成了数字" in errors_of(job).pop()[2]


def test_month_only_dates_are_reported_not_guessed(world, ids):
    rows = [["姓名", "身份证号", "人员类别", "入党日期"], ["张三", ids(), "工人", "2010.07"]]
    job = start(world, xlsx(rows))
    assert errors_of(job) == {(2, "入党日期", "“2010.07”只有年月，请精确到日，如 1990-01-02")}


def test_stage_dates_must_follow_the_order_of_recruitment(world, ids):
    rows = [["姓名", "身份证号", "人员类别", "申请入党日期", "列为积极分子日期", "发展对象日期", "入党日期"],
            ["张三", ids(), "工人", "2009-01-01", "2008-06-01", "2009-12-01", "2010-07-01"],
            ["李四", ids(), "工人", "2008-01-01", "2008-06-01", "2010-12-01", "2010-07-01"]]
    job = start(world, xlsx(rows))
    assert errors_of(job) == {
        (2, "列为积极分子日期", "确定为入党积极分子日期不能早于递交入党申请书日期"),
        (3, "入党日期", "入党日期不能早于确定为发展对象日期"),
    }


def test_csv_in_gbk_from_excel_on_windows_is_read(world, ids):
    number = ids()
    text = f"姓名,公民身份号码,人员类别,入党日期\r\n张三,{number},工人,2010/7/1\r\n"
    job = start(world, text.encode("gb18030"), name="党员.csv")
    assert job.state == ImportJob.State.DONE, job.message
    assert Member.objects.get(id_number_index=id_number_index(number)).name == "张三"


def test_error_report_lists_row_column_reason_and_the_original_row(world, ids):
    data, _ = messy_workbook(world, ids)
    job = start(world, data, commit=False)
    book = CalamineWorkbook.from_filelike(__import__("io").BytesIO(workbooks.error_report(job)))
    rows = book.get_sheet_by_index(0).to_python()
    assert rows[0][:4] == ["行号", "出错的列", "错误原因", "序号"]
    lines = rows[1:]
    assert len(lines) == sum(len(r.errors) for r in job.rows.filter(outcome="error"))
    seven = [line for line in lines if line[0] == 7][0]
    assert seven[1:3] == ["身份证号码", "公民身份号码校验位错误，请核对后重新输入"]
    assert seven[4] == "赵六"


def test_template_has_required_marks_an_explanation_row_and_drop_downs(world):
    book = CalamineWorkbook.from_filelike(__import__("io").BytesIO(workbooks.template("members")))
    rows = book.get_sheet_by_index(0).to_python()
    assert rows[0][:2] == ["姓名*", "公民身份号码*"]
    assert rows[1][0].startswith("填写说明")
    assert "可选值" in book.sheet_names


def test_filled_template_imports_without_touching_the_explanation_row(world, ids):
    book = CalamineWorkbook.from_filelike(__import__("io").BytesIO(workbooks.template("members")))
    header, note = book.get_sheet_by_index(0).to_python()[:2]
    row = {"姓名*": "张三", "公民身份号码*": ids(), "人员类别*": "工人（工勤技能人员）", "入党日期*": "2010-07-01"}
    job = start(world, xlsx([header, note, [row.get(h) for h in header]]))
    assert (job.state, job.new_count, job.error_count) == (ImportJob.State.DONE, 1, 0), errors_of(job)


def test_xls_from_old_excel_versions_is_read(world, ids):
    import io

    import xlwt

    number = ids()
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("花名册")
    for col, head in enumerate(["姓名", "身份证号", "职业", "入党时间", "联系电话"]):
        sheet.write(0, col, head)
    sheet.write(1, 0, "张三")
    sheet.write(1, 1, number)
    sheet.write(1, 2, "工人")
    sheet.write(1, 3, dt.date(2010, 7, 1), xlwt.easyxf(num_format_str="YYYY-MM-DD"))
    sheet.write(1, 4, 13800138000)  # a phone typed as a number
    buffer = io.BytesIO()
    book.save(buffer)
    job = start(world, buffer.getvalue(), name="花名册.xls")
    assert job.state == ImportJob.State.DONE, (job.message, errors_of(job))
    member = Member.objects.get(id_number_index=id_number_index(number))
    assert (member.name, member.joined_on, member.phone) == ("张三", dt.date(2010, 7, 1), "13800138000")
