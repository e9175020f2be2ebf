"""Exporting members and organisations to .xlsx: the list's filter inside the user's scope, masked unless revealed
with the right and a reason, one audit record per export, text that stays text, and the import template's headers
so that an unmasked export imports back unchanged."""

from __future__ import annotations

import datetime as dt
import io
import os
import tempfile
import zipfile
from urllib.parse import quote

import pytest
from django.db import DatabaseError, connection
from django.test.utils import CaptureQueriesContext
from python_calamine import CalamineWorkbook

from dangjian.accounts import roles
from dangjian.accounts.actions import do_assign_role, do_create_account
from dangjian.core import audit
from dangjian.core.models import AuditRecord
from dangjian.exchange import exporting
from dangjian.exchange.columns import MEMBER_COLUMNS, ORG_COLUMNS
from dangjian.members import actions as member_actions
from dangjian.members.models import Member
from dangjian.orgs.models import Organization
from factories import PASSWORD, member_data

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MEMBER_HEADERS = [c.header for c in MEMBER_COLUMNS]
ORG_HEADERS = [c.header for c in ORG_COLUMNS]


# -- helpers ----------------------------------------------------------------------------------------------------

def body(response) -> bytes:
    """The streamed workbook; reading it to the end closes the response (and its temporary file)."""
    return b"".join(response.streaming_content)


def sheet(content: bytes) -> list[list]:
    workbook = CalamineWorkbook.from_filelike(io.BytesIO(content))
    return workbook.get_sheet_by_index(0).to_python()


def as_dicts(content: bytes) -> list[dict]:
    header, *rows = sheet(content)
    return [dict(zip(header, row)) for row in rows]


def all_text(content: bytes) -> str:
    return "\n".join(str(value) for row in sheet(content) for value in row)


def export_members(client, query: str = "", **data):
    return client.post(f"/export/members/?{query}", data)


def export_orgs(client, org, **data):
    return client.post(f"/export/orgs/{org.pk}/", data)


def exports(action="member.export"):
    return list(AuditRecord.objects.filter(action=action).order_by("seq"))


def secrets_of(members) -> list[str]:
    return [s for m in members for s in (m.id_number, m.phone, m.address) if s]


@pytest.fixture
def no_reveal_officer(world, monkeypatch):
    """An 组织委员 whose role may view but not reveal; with a secretary role in BR2 that may reveal there."""
    officer = roles.ROLES[roles.RoleName.ORGANIZATION_OFFICER]
    monkeypatch.setitem(roles.ROLES, roles.RoleName.ORGANIZATION_OFFICER,
                        roles.Role(officer.name, officer.default_scope, officer.permissions - {roles.MEMBER_REVEAL}))
    user = do_create_account(username="viewer", password=PASSWORD)
    do_assign_role(user, role=roles.RoleName.ORGANIZATION_OFFICER, org=world.br1)
    do_assign_role(user, role=roles.RoleName.SECRETARY, org=world.br2)
    user.forget_assignments()
    return user


# -- scope and filter -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("role, branches", [
    ("secretary", {"BR1"}), ("secretary2", {"BR2"}), ("committee_organizer", {"BR1", "BR2"}),
    ("organizer", {"BR1", "BR2", "BR3"}), ("member_user", set()),
])
def test_a_member_export_holds_exactly_the_members_in_the_users_scope(world, client, role, branches):
    client.force_login(getattr(world, role))
    response = export_members(client)
    assert response.status_code == 200 and response["Content-Type"] == XLSX
    names = {row["姓名"] for row in as_dicts(body(response))}
    expected = {m.name for b in branches for m in world.members[b]}
    if role == "member_user":
        expected = {world.own_member.name}
    assert names == expected


def test_a_secretary_never_gets_another_branchs_member_whatever_the_filter(world, client):
    client.force_login(world.secretary)
    foreign = {m.name for b in ("BR2", "BR3") for m in world.members[b]}
    for query in ("", "status=", f"org={world.br3.pk}&status=", f"org={world.br2.pk}", f"org={world.dist.pk}",
                  f"q={world.members['BR3'][0].id_number}", f"q={world.members['BR2'][1].name}"):
        names = {row["姓名"] for row in as_dicts(body(export_members(client, query)))}
        assert not names & foreign, query


def test_the_export_uses_the_member_lists_filter_with_its_default_of_normal_status(world, client):
    leaver = world.members["BR1"][1]
    member_actions.do_change_member_status(leaver, status="left", on=dt.date(2025, 1, 1), reason="出党",
                                           actor=world.secretary)
    member_actions.do_update_member(world.members["BR2"][0], data={"is_mobile": True}, actor=world.secretary2)
    client.force_login(world.organizer)

    def names(query):
        return {row["姓名"] for row in as_dicts(body(export_members(client, query)))}

    everyone = {m.name for ms in world.members.values() for m in ms}
    assert names("") == everyone - {leaver.name}
    assert names("status=") == everyone
    assert names("status=left") == {leaver.name}
    assert names(f"org={world.sta.pk}") == {m.name for b in ("BR1", "BR2") for m in world.members[b]} - {leaver.name}
    assert names("is_mobile=true") == {world.members["BR2"][0].name}
    assert names(f"q={world.members['BR3'][2].id_number}") == {world.members["BR3"][2].name}
    assert names("page=7") == everyone - {leaver.name}  # the list's page is not a filter


def test_the_member_list_export_button_carries_the_current_filter(world, client):
    client.force_login(world.secretary)
    page = client.get("/members/?occupation_category=professional&page=2").content.decode()
    assert 'href="/export/members/?occupation_category=professional&amp;status=normal"' in page
    assert "导出 Excel" in page


def test_the_export_page_shows_the_count_and_exports_nothing(world, client):
    client.force_login(world.committee_organizer)
    response = client.get(f"/export/members/?org={world.br2.pk}")
    text = response.content.decode()
    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
    assert "<strong>3</strong>" in text and world.br2.name in text and "党籍状态：正常" in text
    assert 'name="reveal"' in text and "导出完整敏感信息" in text
    assert exports() == []


# -- masking and reveal -----------------------------------------------------------------------------------------

def test_sensitive_fields_are_masked_by_default(world, client):
    client.force_login(world.secretary)
    content = body(export_members(client))
    text = all_text(content)
    members = world.members["BR1"]
    assert [s for s in secrets_of(members) if s in text] == []
    rows = {row["姓名"]: row for row in as_dicts(content)}
    for m in members:
        row = rows[m.name]
        assert row["公民身份号码"] == m.id_number[:3] + "*" * 11 + m.id_number[-4:]
        assert row["联系电话"] == m.phone[:3] + "****" + m.phone[-4:]
        assert row["现居住地"].endswith("****") and row["现居住地"] != m.address
    assert exports()[0].after["masked"] is True


def test_full_values_only_with_the_reveal_right_and_a_reason(world, client):
    client.force_login(world.secretary)
    content = body(export_members(client, reveal="on", reason="向街道党工委报送"))
    rows = {row["姓名"]: row for row in as_dicts(content)}
    for m in world.members["BR1"]:
        assert (rows[m.name]["公民身份号码"], rows[m.name]["联系电话"], rows[m.name]["现居住地"]) == \
            (m.id_number, m.phone, m.address)
    record = exports()[0]
    assert record.after["masked"] is False and "向街道党工委报送" in record.detail


def test_the_reveal_option_is_offered_only_over_members_the_user_may_all_reveal(world, client, no_reveal_officer):
    client.force_login(no_reveal_officer)
    assert 'name="reveal"' not in client.get("/export/members/").content.decode()  # BR1 cannot be revealed
    assert 'name="reveal"' in client.get(f"/export/members/?org={world.br2.pk}").content.decode()
    response = export_members(client, reveal="on", reason="核对党员档案")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
    assert "没有查看全部导出对象完整敏感信息的权限" in response.content.decode()
    assert exports() == []
    content = body(export_members(client, f"org={world.br2.pk}", reveal="on", reason="核对党员档案"))
    assert {row["公民身份号码"] for row in as_dicts(content)} == {m.id_number for m in world.members["BR2"]}
    masked = all_text(body(export_members(client)))  # without the option: everything, masked
    assert [s for s in secrets_of(world.members["BR1"] + world.members["BR2"]) if s in masked] == []


@pytest.mark.parametrize("reason", ["", "   ", "核对"])
def test_a_reveal_without_a_reason_of_four_characters_exports_nothing_and_audits_nothing(world, client, reason):
    client.force_login(world.secretary)
    before = AuditRecord.objects.count()
    response = export_members(client, reveal="on", reason=reason)
    text = response.content.decode()
    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
    assert "Content-Disposition" not in response
    assert "导出完整敏感信息须填写理由，至少 4 个字" in text
    assert not any(m.id_number in text for m in world.members["BR1"])
    assert AuditRecord.objects.count() == before


def test_a_reason_longer_than_200_characters_is_refused(world, client):
    client.force_login(world.secretary)
    response = export_members(client, reveal="on", reason="理" * 201)
    assert response["Content-Type"].startswith("text/html") and exports() == []


def test_a_user_without_the_reveal_right_cannot_force_it_by_posting_the_option(world, client):
    client.force_login(world.secretary)
    response = client.post(f"/export/orgs/{world.br1.pk}/?", {"reveal": "on", "reason": "核对联系电话"})
    assert response["Content-Type"] == XLSX  # the secretary may reveal over BR1
    body(response)
    client.force_login(world.secadmin)  # may view every organisation, may reveal nothing
    response = export_orgs(client, world.sta, reveal="on", reason="核对联系电话")
    assert response["Content-Type"].startswith("text/html") and "没有查看全部导出对象" in response.content.decode()
    assert len(exports("org.export")) == 1


# -- audit ------------------------------------------------------------------------------------------------------

def test_each_export_writes_exactly_one_audit_record_with_the_row_count(world, client):
    client.force_login(world.committee_organizer)
    body(export_members(client, f"org={world.br2.pk}&page=3"))
    body(export_members(client, "status=", reveal="on", reason="年度党员信息核对"))
    first, second = exports()
    assert first.actor_id == world.committee_organizer.pk and first.result == "success" and first.source_ip
    assert first.after == {"rows": 3, "masked": True, "filter": {"org": str(world.br2.pk), "status": "normal"}}
    assert world.br2.name in first.detail and "党籍状态：正常" in first.detail and "3 条" in first.detail
    assert second.after == {"rows": 6, "masked": False, "filter": {"status": ""}}
    assert "党籍状态：全部" in second.detail and "理由：年度党员信息核对" in second.detail
    assert audit.verify().ok


def test_an_id_number_typed_into_the_search_is_not_copied_into_the_audit_log(world, client):
    target = world.members["BR1"][2]
    client.force_login(world.secretary)
    body(export_members(client, f"q={target.id_number}", reveal="on", reason=f"核对 {target.phone} 的档案"))
    record = exports()[0]
    text = f"{record.detail} {record.after}"
    assert target.id_number not in text and target.phone not in text
    assert record.after["rows"] == 1
    assert record.after["filter"]["q"] == target.id_number[:3] + "*" * 11 + target.id_number[-4:]


def test_an_export_whose_audit_record_cannot_be_written_delivers_nothing(world, client, monkeypatch, tmp_path):
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    monkeypatch.setattr(AuditRecord, "save", lambda *a, **k: (_ for _ in ()).throw(DatabaseError("audit down")))
    client.force_login(world.secretary)
    with pytest.raises(DatabaseError):
        export_members(client)
    monkeypatch.undo()
    assert exports() == [] and os.listdir(scratch) == []


def test_the_org_export_is_audited_on_the_organisation(world, client):
    client.force_login(world.organizer)
    body(export_orgs(client, world.sta))
    (record,) = exports("org.export")
    assert record.object_type == "orgs.organization" and record.object_id == str(world.sta.pk)
    assert record.after == {"rows": 4, "masked": True, "filter": {"org": "STA", "subtree": True}}
    assert world.sta.name in record.detail


# -- the workbook -----------------------------------------------------------------------------------------------

def test_formula_like_text_stays_text(world, client):
    member = world.members["BR1"][1]
    tricky = {"native_place": "=1+2", "work_unit_and_post": "@SUM(A1:A3)", "address": "+86 cmd|' /C calc'!A0"}
    Member.objects.filter(pk=member.pk).update(**tricky)
    Member.objects.filter(pk=world.members["BR1"][2].pk).update(native_place="-2+3")
    Organization.objects.filter(pk=world.br1g1.pk).update(contact_name='=HYPERLINK("http://x.invalid","点我")')
    client.force_login(world.secretary)
    content = body(export_members(client, reveal="on", reason="核对特殊字符"))
    rows = {row["姓名"]: row for row in as_dicts(content)}
    assert rows[member.name]["籍贯"] == "=1+2"
    assert rows[member.name]["工作单位及职务"] == "@SUM(A1:A3)"
    assert rows[member.name]["现居住地"] == "+86 cmd|' /C calc'!A0"
    assert rows[world.members["BR1"][2].name]["籍贯"] == "-2+3"
    org_content = body(export_orgs(client, world.br1))
    assert {r["组织代码"]: r["联系人"] for r in as_dicts(org_content)}["BR1G1"] == '=HYPERLINK("http://x.invalid","点我")'
    for workbook in (content, org_content):
        with zipfile.ZipFile(io.BytesIO(workbook)) as archive:
            xml = archive.read("xl/worksheets/sheet1.xml").decode()
        assert "<f>" not in xml and "<f " not in xml


def test_id_numbers_phones_and_codes_read_back_as_text(world, client):
    Organization.objects.filter(pk=world.br1g1.pk).update(code="0012", contact_phone="01088886666")
    member = world.members["BR1"][0]
    Member.objects.filter(pk=member.pk).update(phone="01012345678")
    client.force_login(world.secretary)
    rows = as_dicts(body(export_members(client, reveal="on", reason="核对身份证号")))
    for row in rows:
        assert isinstance(row["公民身份号码"], str) and len(row["公民身份号码"]) == 18
        assert isinstance(row["联系电话"], str) and isinstance(row["所在党组织"], str)
    assert {row["公民身份号码"] for row in rows} == {m.id_number for m in world.members["BR1"]}
    assert {row["联系电话"] for row in rows} >= {"01012345678"}
    org_rows = {r["组织代码"]: r for r in as_dicts(body(export_orgs(client, world.br1, reveal="on", reason="核对电话")))}
    assert org_rows["0012"]["联系电话"] == "01088886666" and org_rows["0012"]["上级党组织"] == "BR1"


def test_the_workbook_has_a_bold_frozen_filtered_header_and_real_dates(world, client):
    client.force_login(world.secretary)
    content = body(export_members(client))
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        xml = archive.read("xl/worksheets/sheet1.xml").decode()
        styles = archive.read("xl/styles.xml").decode()
    assert '<pane ySplit="1"' in xml and "<autoFilter ref=\"A1:" in xml and "<cols>" in xml
    assert "<b/>" in styles and 'formatCode="yyyy-mm-dd"' in styles
    row = {r["姓名"]: r for r in as_dicts(content)}[world.members["BR1"][0].name]
    assert row["入党日期"] == dt.date(2010, 7, 1) and row["出生日期"] == world.members["BR1"][0].birth_date


def test_the_response_is_an_attachment_with_a_chinese_file_name(world, client):
    client.force_login(world.secretary)
    response = export_members(client)
    disposition = response["Content-Disposition"]
    body(response)
    assert disposition.startswith("attachment; filename=\"members.xlsx\"; filename*=UTF-8''")
    assert quote("党员信息_") in disposition and disposition.endswith(".xlsx")
    assert response["Cache-Control"] == "no-store"
    response = export_orgs(client, world.br1)
    assert quote(world.br1.short_name) in response["Content-Disposition"]
    body(response)


def test_round_trip_the_exported_header_row_equals_the_import_headers(world, client):
    client.force_login(world.organizer)
    header = sheet(body(export_members(client)))[0]
    assert header == MEMBER_HEADERS + ["党籍状态"]
    header = sheet(body(export_orgs(client, world.dist)))[0]
    assert header == ORG_HEADERS + ["状态"]


def test_round_trip_every_exported_cell_reads_back_through_the_import_parser_as_the_stored_value(world, client):
    member = world.members["BR2"][1]
    member_actions.do_update_member(member, data={"is_mobile": True, "degree": "master", "education": "postgraduate",
                                                  "native_place": "山东济南", "work_unit_and_post": "示范公司 经理"},
                                    actor=world.secretary2)
    Organization.objects.filter(pk=world.br2.pk).update(founded_on=dt.date(2001, 7, 1), contact_name="李四",
                                                        contact_phone="13900001111", sort_order=3)
    client.force_login(world.organizer)
    rows = as_dicts(body(export_members(client, reveal="on", reason="导出后导入核对")))
    by_id = {m.id_number: m for m in Member.objects.select_related("org")}
    assert len(rows) == 9
    for row in rows:
        stored = by_id[row["公民身份号码"]]
        for column in MEMBER_COLUMNS:
            expected = stored.org.code if column.key == "org" else getattr(stored, column.key)
            assert column.parse(row[column.header]) == expected, (column.header, row[column.header])
        assert row["党籍状态"] == "正常"
    row = next(r for r in rows if r["公民身份号码"] == member.id_number)
    assert (row["性别"], row["学历"], row["学位"], row["是否流动党员"], row["是否失联"]) == ("男", "研究生", "硕士", "是", "否")

    rows = as_dicts(body(export_orgs(client, world.dist, reveal="on", reason="导出后导入核对")))
    orgs = {o.code: o for o in Organization.objects.all()}
    assert [r["组织代码"] for r in rows] == ["DIST", "STA", "BR1", "BR1G1", "BR2", "STB", "BR3"]
    for row in rows:
        stored = orgs[row["组织代码"]]
        parent = Organization.objects.get(path=stored.path[:-Organization.steplen])
        for column in ORG_COLUMNS:
            if column.key == "parent":  # the parent's code, when the exporter may see the parent (CITY is above)
                expected = parent.code if parent.code != "CITY" else ""
            else:
                expected = getattr(stored, column.key)
            assert column.parse(row[column.header]) == expected, (column.header, row[column.header])
    br2 = next(r for r in rows if r["组织代码"] == "BR2")
    assert (br2["组织类别"], br2["上级党组织"], br2["成立日期"], br2["联系电话"]) == ("党支部", "STA", dt.date(2001, 7, 1), "13900001111")


# -- organisations ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("role, root, codes, top_parent", [
    ("organizer", "STA", ["STA", "BR1", "BR1G1", "BR2"], "DIST"),
    ("committee_organizer", "STA", ["STA", "BR1", "BR1G1", "BR2"], ""),  # DIST is outside its scope
    ("secretary", "BR1", ["BR1", "BR1G1"], ""),
    ("organizer", "BR1G1", ["BR1G1"], "BR1"),
])
def test_the_org_export_is_the_organisation_and_its_subtree_in_scope(world, client, role, root, codes, top_parent):
    client.force_login(getattr(world, role))
    rows = as_dicts(body(export_orgs(client, Organization.objects.get(code=root))))
    assert [r["组织代码"] for r in rows] == codes
    assert rows[0]["上级党组织"] == top_parent


@pytest.mark.parametrize("role, code", [("secretary", "BR2"), ("secretary", "STA"), ("secretary2", "BR1"),
                                        ("committee_organizer", "BR3"), ("auditor", "BR1"), ("sysadmin", "BR1")])
def test_an_organisation_outside_the_scope_is_not_found_and_not_exported(world, client, role, code):
    client.force_login(getattr(world, role))
    org = Organization.objects.get(code=code)
    assert client.get(f"/export/orgs/{org.pk}/").status_code == 404
    assert export_orgs(client, org).status_code == 404
    assert exports("org.export") == []


def test_the_org_contact_phone_is_masked_unless_revealed_with_a_reason(world, client):
    Organization.objects.filter(pk=world.br1.pk).update(contact_phone="13712345678")
    client.force_login(world.secretary)
    page = client.get(f"/orgs/{world.br1.pk}/").content.decode()
    assert f'href="/export/orgs/{world.br1.pk}/"' in page and "导出下级党组织 Excel" in page
    assert "13712345678" not in all_text(body(export_orgs(client, world.br1)))
    refused = export_orgs(client, world.br1, reveal="on", reason="")
    assert refused["Content-Type"].startswith("text/html") and "至少 4 个字" in refused.content.decode()
    rows = as_dicts(body(export_orgs(client, world.br1, reveal="on", reason="核对支部联系电话")))
    assert rows[0]["联系电话"] == "13712345678"
    assert [r.after["masked"] for r in exports("org.export")] == [True, False]


# -- files and queries ------------------------------------------------------------------------------------------

def test_no_export_file_remains_on_disk(world, client, monkeypatch, tmp_path):
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    client.force_login(world.organizer)
    response = export_members(client, reveal="on", reason="核对落盘情况")
    assert os.listdir(scratch) == []  # the workbook is in an unlinked file; the scratch directory is gone
    content = body(response)
    assert len(as_dicts(content)) == 9 and os.listdir(scratch) == []
    body(export_orgs(client, world.dist))
    assert os.listdir(scratch) == []


def test_a_failed_export_leaves_no_scratch_file_either(world, monkeypatch, tmp_path):
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))

    real_rows = exporting.member_export_rows

    def rows_that_fail(queryset):
        yield next(real_rows(queryset))
        raise RuntimeError("database went away")

    monkeypatch.setattr(exporting, "member_export_rows", rows_that_fail)
    with tempfile.TemporaryFile() as out, pytest.raises(RuntimeError):
        exporting.do_export_members(params={}, out=out, actor=world.organizer)
    assert os.listdir(scratch) == [] and exports() == []


def test_the_export_reads_in_a_fixed_number_of_queries_whatever_the_row_count(world):
    def queries():
        with CaptureQueriesContext(connection) as ctx:
            exporting.do_export_members(params={}, out=io.BytesIO(), actor=world.organizer)
            exporting.do_export_organizations(org=world.dist, out=io.BytesIO(), actor=world.organizer)
        return len(ctx.captured_queries)

    queries()  # first use loads the data key
    few = queries()
    for _ in range(25):
        member_actions.do_create_member(data=member_data(), org=world.br3, actor=world.organizer)
    assert queries() == few
