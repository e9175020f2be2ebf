"""A year (2025) with every kind of membership movement in the 东华街道 (STA) subtree of the test world."""

from __future__ import annotations

import datetime as dt

from dangjian.members import actions as member_actions
from dangjian.members.models import Member
from dangjian.orgs import actions as org_actions
from factories import make_id_number, member_data

D = dt.date
YEAR_END = D(2025, 12, 31)


def fresh(member):
    return Member.objects.get(pk=member.pk)


def transfer(world, member, to_org, on):
    t = member_actions.do_apply_transfer(fresh(member), to_org=to_org, reason="工作调动", actor=world.organizer)
    member_actions.do_approve_transfer(t, actor=world.organizer)
    member_actions.do_receive_transfer(t, actor=world.organizer, on=on)


def a_year_of_movements(world):
    """STA has BR1 (a1, a2, a3) and BR2 (b1, b2, b3); BR3 (c1, c2, c3) is under STB until 2025-12-01.

    Start (2024-12-31): 5 (b3 suspended in 2024). In: letter X, c1 transferred in, N admitted, b3 restored,
    BR3 moved under STA with c2, c3 and a3 (+3). Out: a3 transferred to BR3, a2 expelled, b2 died, b1 suspended,
    a1 transferred outside the system. End: 5 + 7 − 5 = 7."""
    a1, a2, a3 = world.members["BR1"]
    b1, b2, b3 = world.members["BR2"]
    c1 = world.members["BR3"][0]
    org_admin = world.organizer
    member_actions.do_change_member_status(b3, status="suspended", on=D(2024, 6, 1), reason="失去联系六个月以上",
                                           actor=org_admin)
    letter = {"number": "沪组转 2025-0301", "from_org_name": "中共上海市某街道第三支部委员会",
              "issued_on": D(2025, 2, 20), "valid_until": D(2025, 5, 19), "received_on": D(2025, 3, 1)}
    person = person_data(gender="female", ethnicity="回族", birth_date=D(1985, 2, 3), joined_on=D(2015, 3, 1),
                         converted_on=D(2016, 3, 1))
    x = member_actions.do_register_incoming_letter(org=world.br2, letter=letter, member_data=person,
                                                   actor=org_admin).member
    transfer(world, c1, world.br1, D(2025, 4, 1))
    transfer(world, a3, world.br3, D(2025, 5, 1))
    n = member_actions.do_create_member(data=person_data(
        gender="female", birth_date=D(1998, 5, 4), education="postgraduate", occupation_category="student",
        joined_on=D(2025, 6, 1), converted_on=None, category="probationary"), org=world.br1, actor=org_admin)
    member_actions.do_change_member_status(fresh(b3), status="normal", on=D(2025, 7, 1), reason="恢复联系，批准恢复党籍",
                                           actor=org_admin)
    member_actions.do_record_disciplinary_action(fresh(a2), data={
        "kind": "expulsion", "decided_on": D(2025, 8, 1), "deciding_body": "中共示范区纪律检查委员会",
        "starts_on": D(2025, 8, 1), "reason": "严重违纪"}, actor=org_admin)
    member_actions.do_change_member_status(fresh(b2), status="deceased", on=D(2025, 9, 1), reason="病故",
                                           actor=org_admin)
    member_actions.do_change_member_status(fresh(b1), status="suspended", on=D(2025, 10, 1), reason="失去联系六个月以上",
                                           actor=org_admin)
    out = member_actions.do_issue_transfer_letter(fresh(a1), to_org_name="中共外省某市某局机关委员会", reason="调往外省",
                                                  issued_on=D(2025, 10, 20), actor=org_admin)
    member_actions.do_record_letter_receipt(out, receipt_org_name="中共外省某市某局机关委员会",
                                            receipt_on=D(2025, 11, 1), actor=org_admin)
    org_actions.do_move_organization(world.br3, new_parent=world.sta, actor=org_admin, on=D(2025, 12, 1))
    return {"x": x, "n": n}


def person_data(**overrides) -> dict:
    """Member data whose 公民身份号码 agrees with the birth date and gender given."""
    data = member_data(**overrides)
    data["id_number"] = make_id_number(data["birth_date"], data["gender"] == "male")
    return data
