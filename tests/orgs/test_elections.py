"""Elections (选举): the electorate from voting rights, the > 4/5 quorum, the 20% candidate margin, the winners with
more than half of the votes of those present, the secretary's 党龄, by-elections, and the higher organisation's
approval of the secretary and deputy."""
from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404

from dangjian.core import audit
from dangjian.orgs import committees as actions
from dangjian.orgs import election_rules as rules
from dangjian.orgs.models import CommitteeMember, Election, Term
from governance import add_member, fill, months_before

HELD = dt.date(2025, 6, 1)


@pytest.fixture
def branch(world):
    """BR1 with 10 full members (3 from the fixture + 7), so 10 are due to attend."""
    fill(world.br1, 7)
    return world.br1


def election(world, seats=3, kind="general", actor=None, **kw):
    return actions.do_create_election(world.br1, kind=kind, held_on=kw.pop("held_on", HELD), seats=seats,
                                      actor=actor or world.secretary, **kw)


def voters(world):
    from dangjian.members.models import Member

    return list(Member.objects.filter(org=world.br1).order_by("id"))


def slate(members, n_members, secretary=None):
    rows = [{"member": m, "position": "member"} for m in members[:n_members]]
    if secretary is not None:
        rows.append({"member": secretary, "position": "secretary"})
    return rows


# -- the rules in isolation ---------------------------------------------------------------------------------------

def test_quorum_of_exactly_four_fifths_is_refused_and_just_over_is_accepted():
    assert rules.quorum_refusal(10, 8, HELD) is not None  # 8/10 = 4/5 exactly
    assert rules.quorum_refusal(10, 9, HELD) is None
    assert rules.quorum_refusal(5, 4, HELD) is not None
    assert rules.quorum_refusal(5, 5, HELD) is None
    assert "4/5" in rules.quorum_refusal(10, 8, HELD)


@pytest.mark.parametrize("seats,needed", [(3, 4), (5, 6), (7, 9), (9, 11)])
def test_committee_candidates_are_at_least_120_percent_of_seats_rounded_up(seats, needed):
    assert rules.candidates_needed(seats, HELD) == needed


def test_a_winner_needs_more_than_half_of_the_votes_of_those_present():
    assert not rules.wins(5, 10, HELD)
    assert rules.wins(6, 10, HELD)
    assert not rules.wins(4, 9, HELD) and rules.wins(5, 9, HELD)


def test_party_standing_counts_from_conversion_or_from_the_end_of_probation(world):
    converted = add_member(world.br1, joined_on=dt.date(2020, 3, 1), converted_on=dt.date(2021, 5, 1))
    assert rules.party_standing_start(converted) == dt.date(2021, 5, 1)
    unrecorded = add_member(world.br1, joined_on=dt.date(2020, 3, 1), converted_on=None)
    assert rules.party_standing_start(unrecorded) == dt.date(2021, 3, 1)  # joined_on + probation_years
    assert rules.party_standing_years(unrecorded, dt.date(2023, 2, 28)) == 1


def test_secretary_with_eleven_months_of_party_standing_is_refused_and_one_year_is_accepted(world):
    eleven = add_member(world.br1, joined_on=dt.date(2023, 7, 1), converted_on=months_before(HELD, 11))
    year = add_member(world.br1, joined_on=dt.date(2023, 6, 1), converted_on=months_before(HELD, 12))
    assert "1 年以上党龄" in rules.secretary_refusal(eleven, HELD)
    assert rules.secretary_refusal(year, HELD) is None


# -- the electorate and the candidates ------------------------------------------------------------------------------

def test_the_electorate_is_those_with_voting_rights_and_probationary_members_are_listed_with_the_reason(world, branch):
    probationary = add_member(world.br1, category="probationary", joined_on=dt.date(2025, 1, 1), converted_on=None)
    e = election(world)
    assert e.due_count == 10 and probationary.pk not in e.electorate
    assert [x["id"] for x in e.excluded] == [probationary.pk]
    assert "预备党员" in e.excluded[0]["reason"]


def test_three_seats_need_four_candidates(world, branch):
    e = election(world)
    people = voters(world)
    with pytest.raises(ValidationError, match="不少于 4 名"):
        actions.do_set_candidates(e, candidates=slate(people, 3, people[0]), actor=world.secretary)
    actions.do_set_candidates(e, candidates=slate(people, 4, people[0]), actor=world.secretary)
    assert Election.objects.get(pk=e.pk).candidates.count() == 5


def test_a_probationary_member_cannot_stand(world, branch):
    probationary = add_member(world.br1, category="probationary", joined_on=dt.date(2025, 1, 1), converted_on=None)
    e = election(world)
    people = voters(world)
    rows = slate(people, 4, people[0]) + [{"member": probationary, "position": "member"}]
    with pytest.raises(ValidationError, match="预备党员"):
        actions.do_set_candidates(e, candidates=rows, actor=world.secretary)


def test_the_secretary_candidate_needs_a_year_of_party_standing_on_the_election_day(world, branch):
    young = add_member(world.br1, joined_on=dt.date(2023, 7, 1), converted_on=months_before(HELD, 11))
    e = election(world)
    people = voters(world)
    rows = slate(people, 4) + [{"member": young, "position": "member"}, {"member": young, "position": "secretary"}]
    with pytest.raises(ValidationError, match="1 年以上党龄"):
        actions.do_set_candidates(e, candidates=rows, actor=world.secretary)


def test_the_secretary_is_uncontested_and_stands_for_the_committee_too(world, branch):
    e = election(world)
    people = voters(world)
    two = slate(people, 4, people[0]) + [{"member": people[1], "position": "secretary"}]
    with pytest.raises(ValidationError, match="等额"):
        actions.do_set_candidates(e, candidates=two, actor=world.secretary)
    outsider = slate(people, 4, people[6])
    with pytest.raises(ValidationError, match="从当选委员中产生"):
        actions.do_set_candidates(e, candidates=outsider, actor=world.secretary)


# -- the count --------------------------------------------------------------------------------------------------------

def prepared(world, seats=3):
    e = election(world, seats=seats)
    people = voters(world)
    actions.do_set_candidates(e, candidates=slate(people, seats + 1, people[0]), actor=world.secretary)
    return Election.objects.get(pk=e.pk), people


def votes_for(e, by_member: dict):
    return {c.pk: by_member[(c.member_id, c.position)] for c in e.candidates.all()}


def test_an_election_with_exactly_four_fifths_present_is_refused_and_nothing_is_written(world, branch):
    e, people = prepared(world)
    votes = votes_for(e, {**{(p.pk, "member"): 8 for p in people[:4]}, (people[0].pk, "secretary"): 3})
    with pytest.raises(ValidationError, match="未超过 4/5"):
        actions.do_record_result(e, present_count=8, votes=votes, committee_present=3, actor=world.secretary)
    assert Election.objects.get(pk=e.pk).state == Election.State.DRAFT
    assert not Term.objects.exists() and not CommitteeMember.objects.exists()


def test_winners_need_more_than_half_of_those_present_and_the_committee_elects_the_secretary(world, branch):
    e, people = prepared(world)
    ballot = {(people[0].pk, "member"): 9, (people[1].pk, "member"): 6, (people[2].pk, "member"): 5,
              (people[3].pk, "member"): 4, (people[0].pk, "secretary"): 2}
    e = actions.do_record_result(e, present_count=10, votes=votes_for(e, ballot), committee_present=2,
                                 actor=world.secretary)
    elected = {c.member_id for c in e.candidates.filter(elected=True, position="member")}
    assert elected == {people[0].pk, people[1].pk}  # 5 of 10 is not more than half
    holders = {h.member_id: h.position for h in CommitteeMember.objects.filter(ended_on__isnull=True)}
    assert holders == {people[0].pk: "secretary", people[1].pk: "member"}  # 2 of 2 committee members present
    term = Term.objects.get(org=world.br1)
    assert (term.number, term.started_on, term.ends_on) == (1, HELD, dt.date(2028, 6, 1))
    assert e.state == Election.State.ELECTED


def test_a_tie_at_the_last_seat_needs_another_vote(world, branch):
    e, people = prepared(world)
    ballot = {(people[0].pk, "member"): 9, (people[1].pk, "member"): 8, (people[2].pk, "member"): 6,
              (people[3].pk, "member"): 6, (people[0].pk, "secretary"): 3}
    with pytest.raises(ValidationError, match="得票相等"):
        actions.do_record_result(e, present_count=10, votes=votes_for(e, ballot), committee_present=3,
                                 actor=world.secretary)


def test_votes_beyond_those_present_are_refused(world, branch):
    e, people = prepared(world)
    ballot = {**{(p.pk, "member"): 10 for p in people[:4]}, (people[0].pk, "secretary"): 3}
    ballot[(people[3].pk, "member")] = 11
    with pytest.raises(ValidationError, match="不能多于实到会人数"):
        actions.do_record_result(e, present_count=10, votes=votes_for(e, ballot), committee_present=3,
                                 actor=world.secretary)


def full_result(world, people, e):
    ballot = {(people[0].pk, "member"): 10, (people[1].pk, "member"): 9, (people[2].pk, "member"): 8,
              (people[3].pk, "member"): 2, (people[0].pk, "secretary"): 3}
    return actions.do_record_result(e, present_count=10, votes=votes_for(e, ballot), committee_present=3,
                                    actor=world.secretary)


def test_a_new_committee_ends_the_previous_term_and_its_holders_whose_history_is_kept(world, branch):
    people = voters(world)
    actions.do_record_term(world.br1, started_on=dt.date(2022, 6, 1), seats=3, actor=world.secretary)
    old = actions.do_add_committee_member(world.br1, member=people[5], position="secretary",
                                          started_on=dt.date(2022, 6, 1), actor=world.secretary)
    e, people = prepared(world)
    full_result(world, people, e)
    old.refresh_from_db()
    assert old.ended_on == HELD and old.end_reason == "换届"
    terms = list(Term.objects.filter(org=world.br1).order_by("number"))
    assert [(t.number, t.ended_on) for t in terms] == [(1, HELD), (2, None)]
    assert CommitteeMember.objects.filter(org=world.br1).count() == 4


def test_the_higher_organisation_approves_the_secretary_and_the_branch_files_the_committee(world, branch):
    e, people = prepared(world)
    e = full_result(world, people, e)
    with pytest.raises(Http404):  # the branch cannot approve its own secretary
        actions.do_approve_election(e, on=HELD, actor=world.secretary)
    with pytest.raises(Http404):  # nor a sibling branch's secretary
        actions.do_approve_election(e, on=HELD, actor=world.secretary2)
    secretary = CommitteeMember.objects.get(position="secretary", ended_on__isnull=True)
    assert secretary.awaiting_approval
    from dangjian.orgs.governance_queries import attention_items

    assert "待批准的书记、副书记" in {i.title for i in attention_items(world.committee_organizer)}
    assert "待批准的书记、副书记" not in {i.title for i in attention_items(world.secretary)}
    actions.do_approve_election(e, on=dt.date(2025, 6, 10), document="东华党工〔2025〕8号",
                                actor=world.committee_organizer)
    secretary.refresh_from_db()
    assert secretary.approved_on == dt.date(2025, 6, 10) and not secretary.awaiting_approval
    e = actions.do_file_election(e, on=dt.date(2025, 6, 12), actor=world.secretary)
    assert e.state == Election.State.COMPLETED
    assert audit.verify().ok


# -- the pages and the API -----------------------------------------------------------------------------------------

def test_the_main_page_flow_from_setting_up_to_filing(world, branch, client):
    client.force_login(world.secretary)
    assert client.get(f"/orgs/{world.br1.pk}/").content.decode().count("委员会与换届") >= 1
    response = client.post(f"/orgs/{world.br1.pk}/elections/new/", {
        "kind": "general", "held_on": "2025-06-01", "seats": "3", "deputy_seats": "0", "elect_secretary": "on"})
    e = Election.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/orgs/elections/{e.pk}/"
    people = voters(world)
    refused = client.post(f"/orgs/elections/{e.pk}/candidates/", {
        "members": [p.pk for p in people[:3]], "secretary": people[0].pk})
    assert refused.status_code == 200 and "不少于 4 名" in refused.content.decode()
    client.post(f"/orgs/elections/{e.pk}/candidates/", {"members": [p.pk for p in people[:4]], "secretary": people[0].pk})
    cands = {(c.member_id, c.position): c.pk for c in e.candidates.all()}
    ballot = {f"votes_{cands[(people[i].pk, 'member')]}": v for i, v in enumerate((10, 9, 8, 2))}
    ballot[f"votes_{cands[(people[0].pk, 'secretary')]}"] = 3
    short = client.post(f"/orgs/elections/{e.pk}/result/", {"present_count": "8", "committee_present": "3", **ballot})
    assert "未超过 4/5" in short.content.decode()
    client.post(f"/orgs/elections/{e.pk}/result/", {"present_count": "10", "committee_present": "3", **ballot})
    page = client.get(f"/orgs/elections/{e.pk}/").content.decode()
    assert "待上级批准" in page and 'data-testid="approve-form"' not in page  # the branch cannot approve itself
    assert client.post(f"/orgs/elections/{e.pk}/approve/", {"approved_on": "2025-06-05"}).status_code == 404
    client.post(f"/orgs/elections/{e.pk}/file/", {"filed_on": "2025-06-03"})
    client.force_login(world.committee_organizer)
    client.post(f"/orgs/elections/{e.pk}/approve/", {"approved_on": "2025-06-05", "approval_document": "东华党工〔2025〕9号"})
    assert Election.objects.get(pk=e.pk).state == Election.State.COMPLETED
    committee = client.get(f"/orgs/{world.br1.pk}/committee/").content.decode()
    assert people[0].name in committee and "第1届" in committee and "2028-06-01" in committee


def test_a_secretary_of_another_branch_gets_404_on_pages_and_api(world, branch, client):
    e = election(world)
    client.force_login(world.secretary2)
    for url in (f"/orgs/{world.br1.pk}/committee/", f"/orgs/elections/{e.pk}/", f"/api/v1/elections/{e.pk}/",
                f"/orgs/{world.br1.pk}/terms/"):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/orgs/elections/{e.pk}/result/", {"present_count": "10"}).status_code == 404
    assert client.post(f"/api/v1/elections/{e.pk}/candidates/", {"candidates": []},
                       content_type="application/json").status_code == 404
    assert [row["id"] for row in client.get("/api/v1/elections/").json()["results"]] == []


def test_the_api_runs_the_same_rules(world, branch, client):
    client.force_login(world.secretary)
    created = client.post("/api/v1/elections/", {"org": world.br1.pk, "held_on": "2025-06-01", "seats": 3},
                          content_type="application/json")
    assert created.status_code == 201 and created.json()["due_count"] == 10
    pk = created.json()["id"]
    people = voters(world)
    few = client.post(f"/api/v1/elections/{pk}/candidates/", {"candidates": [
        {"member": p.pk} for p in people[:3]] + [{"member": people[0].pk, "position": "secretary"}]},
        content_type="application/json")
    assert few.status_code == 400 and "不少于 4 名" in few.json()["candidates"][0]
    ok = client.post(f"/api/v1/elections/{pk}/candidates/", {"candidates": [
        {"member": p.pk} for p in people[:4]] + [{"member": people[0].pk, "position": "secretary"}]},
        content_type="application/json").json()
    votes = {str(c["id"]): (3 if c["position"] == "secretary" else 9) for c in ok["candidates"]}
    short = client.post(f"/api/v1/elections/{pk}/result/", {"present_count": 8, "committee_present": 3, "votes": votes},
                        content_type="application/json")
    assert short.status_code == 400 and "4/5" in short.json()["present_count"][0]
    foreign = world.members["BR3"][0]
    outside = client.post("/api/v1/committee-members/", {"org": world.br1.pk, "member": foreign.pk,
                                                         "position": "member", "started_on": "2025-01-01"},
                          content_type="application/json")
    assert outside.status_code == 400 and "member" in outside.json()
    terms = client.get(f"/api/v1/terms/?org={world.br1.pk}")
    assert terms.status_code == 200


def test_the_committee_electing_the_secretary_needs_more_than_half_of_its_members_present(world, branch):
    e, people = prepared(world)
    ballot = {(people[0].pk, "member"): 10, (people[1].pk, "member"): 9, (people[2].pk, "member"): 8,
              (people[3].pk, "member"): 2, (people[0].pk, "secretary"): 1}
    with pytest.raises(ValidationError, match="超过委员总数的一半"):
        actions.do_record_result(e, present_count=10, votes=votes_for(e, ballot), committee_present=1,
                                 actor=world.secretary)
    assert not rules.committee_quorum_refusal(2, 3, HELD)


def test_more_deputy_secretaries_than_the_rulebook_allows_are_refused(world, branch):
    with pytest.raises(ValidationError, match="不超过 2 名"):
        election(world, deputy_seats=3)
