"""The API: the same rules and scope as the pages."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from rest_framework.test import APIClient

from dangjian.recruitment.choices import StepKind as K
from factories import make_id_number
from recruiting import apply, candidate_2014

pytestmark = pytest.mark.django_db
URL = "/api/v1/recruitment-candidates/"


def api(user):
    c = APIClient()
    c.force_authenticate(user)
    return c


def test_application_through_the_api_and_its_refusal_under_18(world):
    c = api(world.secretary)
    body = {"org": world.br1.pk, "name": "钱申请", "id_number": make_id_number(dt.date(1998, 3, 3), True, random.Random(7)),
            "occupation_category": "worker", "applied_on": "2024-01-10"}
    created = c.post(URL, body, format="json")
    assert created.status_code == 201 and created.data["stage"] == "applicant"
    assert "*" in created.data["id_number"]
    assert created.data["deadlines"][0]["code"] == "application_talk"
    young = dict(body, id_number=make_id_number(dt.date(2010, 3, 3), True, random.Random(8)), name="孙少年")
    refused = c.post(URL, young, format="json")
    assert refused.status_code == 400 and "年满 18 周岁" in refused.data["applied_on"][0]
    outside = c.post(URL, dict(body, org=world.br3.pk), format="json")
    assert outside.status_code == 400 and "org" in outside.data


def test_step_refusal_cites_the_article_and_a_warning_needs_acknowledged(world):
    candidate = apply(world, dt.date(2023, 1, 31))
    c = api(world.secretary)
    member = world.members["BR1"][1].pk
    late = {"kind": "application_talk", "on": "2023-03-01", "talkers": [member]}
    warned = c.post(f"{URL}{candidate.pk}/steps/", late, format="json")
    assert warned.status_code == 400 and "1 个月内" in warned.data["acknowledge"][0]
    done = c.post(f"{URL}{candidate.pk}/steps/", dict(late, acknowledged=True), format="json")
    assert done.status_code == 201 and done.data["people"][0]["member"] == member
    steps = c.get(f"{URL}{candidate.pk}/steps/").data
    assert [s["kind"] for s in steps] == ["application", "application_talk"]


def test_branch_meeting_vote_through_the_api_with_exactly_half_yes_fails(world):
    from recruiting import add_member

    add_member(world.br1)
    candidate = candidate_2014(world, until=K.ADMISSION_MEETING)
    response = api(world.secretary).post(f"{URL}{candidate.pk}/steps/", {
        "kind": "admission_meeting", "on": "2024-07-01", "present_count": 4, "yes_count": 2, "no_count": 2},
        format="json")
    assert response.status_code == 201 and response.data["passed"] is False and response.data["due_count"] == 4


def test_scope_of_the_api(world):
    mine = apply(world)
    assert api(world.secretary2).get(f"{URL}{mine.pk}/").status_code == 404
    ids = {c["id"] for c in _rows(api(world.organizer).get(URL, {"org": world.br1.pk}).data)}
    assert ids == {mine.pk}
    assert _rows(api(world.secretary2).get(URL).data) == []
    assert _rows(api(world.member_user).get(URL).data) == []
    approval = api(world.secretary).post(f"{URL}{mine.pk}/steps/", {"kind": "admission_approval", "on": "2024-08-01",
                                                                     "passed": True}, format="json")
    assert approval.status_code == 404


def test_document_through_the_api(world):
    candidate = candidate_2014(world, until=K.ACTIVIST_FILING)
    response = api(world.secretary).get(f"{URL}{candidate.pk}/document/", {"kind": "activist_record"})
    assert response.status_code == 200 and response["Content-Type"].endswith("wordprocessingml.document")
    assert api(world.secretary).get(f"{URL}{candidate.pk}/document/", {"kind": "conversion"}).status_code == 400


def _rows(data):
    return data["results"] if isinstance(data, dict) else data


def test_transferred_in_probationary_member_through_the_api_and_the_page(world):
    from django.test import Client

    from recruiting import add_member

    member = add_member(world.br1, category="probationary", converted_on=None, joined_on=dt.date(2026, 1, 10))
    full = world.members["BR1"][1]
    c = api(world.secretary)
    created = c.post(f"{URL}transferred-in/", {"member": member.pk}, format="json")
    assert created.status_code == 201 and created.data["stage"] == "probationary"
    assert created.data["probation_end"] == "2027-01-10" and created.data["member"] == member.pk
    again = c.post(f"{URL}transferred-in/", {"member": member.pk}, format="json")
    assert again.status_code == 400
    assert c.post(f"{URL}transferred-in/", {"member": full.pk}, format="json").status_code == 400
    assert api(world.secretary2).post(f"{URL}transferred-in/", {"member": member.pk}, format="json").status_code == 400
    other = add_member(world.br1, category="probationary", converted_on=None, joined_on=dt.date(2026, 2, 1))
    page = Client()
    page.force_login(world.secretary)
    assert other.name in page.get("/recruitment/transferred-in/").content.decode()
    assert page.post("/recruitment/transferred-in/", {"member": other.pk}).status_code == 302
