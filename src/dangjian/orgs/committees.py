"""Writes for committees, terms and elections (换届), 党小组 members and the units of a joint branch.

Each action runs in one transaction with its audit record, checks the actor's scope (404 outside it) and the
regulation (a Chinese ValidationError naming the field, nothing written). Nothing here is ever deleted.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404

from dangjian.accounts import roles
from dangjian.core import audit, rulebook
from dangjian.core.actions import require
from dangjian.members.choices import MemberStatus
from dangjian.members.models import Member
from dangjian.members.rules import voting_refusal

from . import election_rules as rules
from .choices import OrgType
from .models import LEADER_POSITIONS, CommitteeMember, Election, ElectionCandidate, Organization, Position, Term

NOT_IN_SCOPE = "记录不存在或不在您的管理范围内"


def _locked_org(org, actor, perm) -> Organization:
    require(actor, perm, org)
    return Organization.objects.select_for_update().get(pk=org.pk)


def _locked(model, obj, actor, perm):
    found = model.objects.restrict(actor, perm).select_for_update().filter(pk=obj.pk).first()
    if found is None:
        raise Http404(NOT_IN_SCOPE)
    return found


def _require_parent(actor, org: Organization) -> Organization:
    """Approval and appointment belong to a role held on the organisation above `org`."""
    parent = Organization.objects.get_parent(org)
    if parent is None or not Organization.objects.restrict(actor, roles.COMMITTEE_APPROVE).filter(pk=parent.pk).exists():
        raise Http404("只有上级党组织可以办理此事项")
    return parent


def current_term(org) -> Term | None:
    return Term.objects.filter(org=org, ended_on__isnull=True).first()


def current_holders(org):
    return CommitteeMember.objects.filter(org=org, ended_on__isnull=True).select_related("member")


def _check_date(day, field: str, errors: dict) -> None:
    if day is None:
        errors[field] = "请填写日期"
    elif day > dt.date.today():
        errors[field] = "日期不能晚于今天"


def _end_errors(record, on, *, start: str, end: str, done: str, too_early: str) -> dict:
    """The checks of closing a dated record (a holding, a group placement, a covered unit): a real date, not
    closed already, not before it began. Field names and messages are the record's own."""
    errors: dict = {}
    _check_date(on, end, errors)
    if getattr(record, end):
        errors["__all__"] = done
    elif on and on < getattr(record, start):
        errors[end] = too_early
    return errors


def _member_of(org, member) -> bool:
    return Member.objects.filter(pk=member.pk, org__path__startswith=org.path, status=MemberStatus.NORMAL).exists()


# -- terms and holders recorded directly (a committee in office before the system, or appointed from above) -----

@transaction.atomic
def do_record_term(org, *, started_on: dt.date, seats: int = 0, village_or_community: bool = False,
                   number: int | None = None, schedule_note: str = "", actor) -> Term:
    """Record a term that began without an election record here (e.g. before the system was in use). The
    current term, if any, ends on the day the new one starts; its holders stay in the history."""
    org = _locked_org(org, actor, roles.COMMITTEE_MANAGE)
    errors: dict = {}
    _check_date(started_on, "started_on", errors)
    if org.org_type == OrgType.GROUP:
        errors["__all__"] = "党小组不实行任期制"
    elif started_on and (refusal := rules.seats_refusal(org.org_type, seats, started_on)):
        errors["seats"] = refusal
    previous = current_term(org)
    if previous and started_on and started_on <= previous.started_on:
        errors["started_on"] = f"新一届的开始日期应晚于上一届的开始日期（{previous.started_on}）"
    if errors:
        raise ValidationError(errors)
    term = _open_term(org, started_on=started_on, seats=seats, village_or_community=village_or_community,
                      number=number, schedule_note=schedule_note, actor=actor)
    audit.record("term.record", actor=actor, obj=org, after=_term_dict(term), detail=f"{org}：登记第{term.number}届任期")
    return term


def _open_term(org, *, started_on, seats, village_or_community, number, schedule_note, actor) -> Term:
    previous = current_term(org)
    if previous:
        previous.ended_on = started_on
        previous.version += 1
        previous.save(update_fields=["ended_on", "version", "updated_at"])
    last = Term.objects.filter(org=org).order_by("-number").values_list("number", flat=True).first() or 0
    number = number or last + 1
    if Term.objects.filter(org=org, number=number).exists():
        raise ValidationError({"number": f"第{number}届已经登记"})
    return Term.objects.create(
        org=org, number=number, started_on=started_on, seats=seats, village_or_community=village_or_community,
        ends_on=rules.term_end(org.org_type, village_or_community, started_on), schedule_note=schedule_note.strip(),
        created_by=actor)


def _term_dict(term) -> dict:
    return {"term": term.pk, "number": term.number, "started_on": term.started_on.isoformat(),
            "ends_on": term.ends_on.isoformat(), "seats": term.seats, "village_or_community": term.village_or_community}


def _holder_refusal(org, member, position: str, on: dt.date) -> str | None:
    if not _member_of(org, member):
        return f"{member.name}不是本组织（含下级组织）的党员"
    refusal = voting_refusal(member, on)
    if refusal:
        return f"{member.name}：{refusal}"
    if position == Position.SECRETARY:
        return rules.secretary_refusal(member, on)
    return None


@transaction.atomic
def do_add_committee_member(org, *, member, position: str, started_on: dt.date, source: str = "recorded",
                            actor) -> CommitteeMember:
    """Record a holder: 补录 by the organisation itself, or 任命 by the higher organisation (党章 第三十一条:
    the higher organisation may appoint the secretary or members when needed)."""
    if source == CommitteeMember.Source.APPOINTED:
        _require_parent(actor, org)
        require(actor, roles.COMMITTEE_VIEW, org)
        org = Organization.objects.select_for_update().get(pk=org.pk)
    elif source == CommitteeMember.Source.RECORDED:
        org = _locked_org(org, actor, roles.COMMITTEE_MANAGE)
    else:
        raise ValidationError({"source": "委员会成员只能补录或由上级党组织任命；选举产生的请登记选举结果"})
    errors: dict = {}
    _check_date(started_on, "started_on", errors)
    if position not in Position.values:
        errors["position"] = "请选择职务"
    if org.org_type == OrgType.GROUP:
        errors["__all__"] = "党小组设党小组长，请在党小组成员中指定"
    member = Member.objects.filter(pk=getattr(member, "pk", None)).first()
    if member is None:
        errors["member"] = "请选择党员"
    elif not errors and (refusal := _holder_refusal(org, member, position, started_on)):
        errors["member"] = refusal
    if not errors and position == Position.SECRETARY and \
            current_holders(org).filter(position=Position.SECRETARY).exists():
        errors["position"] = "本组织已有现任书记，请先登记其离任"
    if not errors and current_holders(org).filter(member=member).exists():
        errors["member"] = f"{member.name}已在本届委员会任职"
    if errors:
        raise ValidationError(errors)
    holder = CommitteeMember(org=org, term=current_term(org), member=member, position=position,
                             started_on=started_on, source=source)
    if source == CommitteeMember.Source.APPOINTED:
        holder.approved_on = started_on  # an appointment is the higher organisation's own decision
    holder.save()
    audit.record("committee.add", actor=actor, obj=org,
                 after={"holder": holder.pk, "member": member.pk, "position": position, "source": source,
                        "started_on": started_on.isoformat()},
                 detail=f"{org}：{holder.get_source_display()} {member.name}为{holder.get_position_display()}")
    return holder


@transaction.atomic
def do_end_committee_member(holder, *, on: dt.date, reason: str, actor) -> CommitteeMember:
    """A holding ends (调离, 辞职, 免职, 去世 …); the record stays in the committee's history."""
    holder = _locked(CommitteeMember, holder, actor, roles.COMMITTEE_MANAGE)
    errors = _end_errors(holder, on, start="started_on", end="ended_on", done=f"该任职已于 {holder.ended_on} 结束",
                         too_early=f"离任日期不能早于任职日期（{holder.started_on}）")
    if len((reason or "").strip()) < 2:
        errors["end_reason"] = "请填写离任原因"
    if errors:
        raise ValidationError(errors)
    holder.ended_on, holder.end_reason = on, reason.strip()[:200]
    holder.version += 1
    holder.save()
    audit.record("committee.end", actor=actor, obj=holder.org,
                 after={"holder": holder.pk, "ended_on": on.isoformat(), "reason": holder.end_reason},
                 detail=f"{holder.org}：{holder.member.name}不再担任{holder.get_position_display()}")
    return holder


# -- elections -------------------------------------------------------------------------------------------------

def electorate(org, on: dt.date) -> tuple[list[int], list[dict]]:
    """Members due to attend (with voting rights on `on`) and those without, each with the reason."""
    due, excluded = [], []
    for member in Member.objects.filter(org__path__startswith=org.path, status=MemberStatus.NORMAL).order_by("id"):
        refusal = voting_refusal(member, on)
        if refusal:
            excluded.append({"id": member.pk, "name": member.name, "reason": refusal})
        else:
            due.append(member.pk)
    return due, excluded


@transaction.atomic
def do_create_election(org, *, kind: str, held_on: dt.date, seats: int, deputy_seats: int = 0,
                       elect_secretary: bool = True, village_or_community: bool | None = None,
                       schedule_note: str = "", actor) -> Election:
    """Set up an election: the seats, and the electorate fixed from the members' voting rights on the day."""
    org = _locked_org(org, actor, roles.COMMITTEE_MANAGE)
    errors: dict = {}
    if held_on is None:
        errors["held_on"] = "请填写选举日期"
    if kind not in Election.Kind.values:
        errors["kind"] = "请选择选举类型"
    if org.org_type == OrgType.GROUP:
        errors["__all__"] = "党小组不设委员会，不进行选举"
    term = current_term(org)
    if village_or_community is None:
        village_or_community = bool(term and term.village_or_community)
    if errors:
        raise ValidationError(errors)
    if kind == Election.Kind.GENERAL:
        if refusal := rules.seats_refusal(org.org_type, seats, held_on):
            errors["seats"] = refusal
        if term and (refusal := rules.schedule_refusal(term.ends_on, held_on, schedule_note)):
            errors["schedule_note" if "批准" in refusal else "held_on"] = refusal
        if not elect_secretary:
            errors["elect_secretary"] = "换届选举应当选举书记"
        if term and held_on <= term.started_on:
            errors["held_on"] = f"选举日期应晚于本届开始日期（{term.started_on}）"
    else:
        if term is None:
            errors["kind"] = "本组织还没有登记任期，不能补选；请先登记本届任期"
        else:
            filled = current_holders(org).count()
            vacancies = max(term.seats - filled, 0)
            if seats > vacancies:
                errors["seats"] = f"本届委员职数 {term.seats} 名，现有 {filled} 名，补选人数不能超过缺额（{vacancies} 名）"
            if elect_secretary and current_holders(org).filter(position=Position.SECRETARY).exists():
                errors["elect_secretary"] = "书记职位没有空缺，不能补选书记"
        if not seats and not elect_secretary and not deputy_seats:
            errors["seats"] = "请填写补选的人数或职务"
    most = rulebook.value("deputy_secretaries_max", held_on)
    if deputy_seats > most:
        errors["deputy_seats"] = f"副书记一般不超过 {most} 名（{rulebook.citation('deputy_secretaries_max')}）"
    if errors:
        raise ValidationError(errors)
    due, excluded = electorate(org, held_on)
    election = Election.objects.create(
        org=org, term=term if kind == Election.Kind.BY_ELECTION else None, kind=kind, held_on=held_on, seats=seats,
        deputy_seats=deputy_seats, elect_secretary=elect_secretary, village_or_community=village_or_community,
        schedule_note=(schedule_note or "").strip()[:200], electorate=due, excluded=excluded, created_by=actor)
    audit.record("election.create", actor=actor, obj=org,
                 after={"election": election.pk, "kind": kind, "held_on": held_on.isoformat(), "seats": seats,
                        "due": len(due)},
                 detail=f"{org}：{election.get_kind_display()}（应到会有选举权党员 {len(due)} 人）")
    return election


def _ballots(election) -> tuple[list, list, list]:
    cands = list(election.candidates.select_related("member"))
    return ([c for c in cands if c.position == Position.MEMBER],
            [c for c in cands if c.position == Position.SECRETARY],
            [c for c in cands if c.position == Position.DEPUTY_SECRETARY])


@transaction.atomic
def do_set_candidates(election, *, candidates: list[dict], actor) -> Election:
    """The candidate list: 委员 at least 20% more than the seats (差额), 书记 and 副书记 uncontested (等额) and
    standing for the committee too; every candidate with the right to be elected, the secretary with ≥ 1 year 党龄.
    `candidates` is [{"member": Member, "position": "member"|"secretary"|"deputy_secretary", "duty": ""}]."""
    election = _locked(Election, election, actor, roles.COMMITTEE_MANAGE)
    if election.state != Election.State.DRAFT:
        raise ValidationError("选举结果已登记，候选人不能再修改")
    on, errors, seen = election.held_on, [], set()
    by_position: dict[str, list] = {Position.MEMBER: [], Position.SECRETARY: [], Position.DEPUTY_SECRETARY: []}
    for row in candidates:
        member, position = row.get("member"), row.get("position") or Position.MEMBER
        if member is None or position not in by_position:
            errors.append("候选人或选举职务无效")
            continue
        if (member.pk, position) in seen:
            errors.append(f"{member.name}重复列为同一职务的候选人")
            continue
        seen.add((member.pk, position))
        if member.pk not in election.electorate:
            reason = next((e["reason"] for e in election.excluded if e["id"] == member.pk), "不是本组织有选举权的党员")
            errors.append(f"{member.name}：{reason}")
        elif position == Position.SECRETARY and (refusal := rules.secretary_refusal(member, on)):
            errors.append(refusal)
        by_position[position].append(row)
    members, secretaries, deputies = (by_position[p] for p in
                                      (Position.MEMBER, Position.SECRETARY, Position.DEPUTY_SECRETARY))
    by_election = election.kind == Election.Kind.BY_ELECTION
    if election.seats:
        need = rules.candidates_needed(election.seats, on, by_election=by_election)
        if len(members) < need:
            key = "by_election_candidate_margin" if by_election else "election_candidate_margin"
            errors.append(f"应选委员 {election.seats} 名，候选人应不少于 {need} 名（{rulebook.citation(key)}），现有 {len(members)} 名")
    elif members:
        errors.append("本次选举不选委员，请不要列委员候选人")
    if len(secretaries) != (1 if election.elect_secretary else 0):
        errors.append("书记实行等额选举，应有 1 名候选人" if election.elect_secretary else "本次选举不选书记")
    if len(deputies) != election.deputy_seats:
        errors.append(f"副书记实行等额选举，候选人应为 {election.deputy_seats} 名")
    if election.seats and not by_election:
        committee = {row["member"].pk for row in members}
        for row in secretaries + deputies:
            if row["member"].pk not in committee:
                errors.append(f"{row['member'].name}：书记、副书记应从当选委员中产生，请同时列为委员候选人")
    if errors:
        raise ValidationError({"candidates": errors})
    election.candidates.all().delete()  # the list is replaced while the election is still being prepared
    ElectionCandidate.objects.bulk_create([
        ElectionCandidate(election=election, member=row["member"], position=row.get("position") or Position.MEMBER,
                          duty=row.get("duty") or "") for row in candidates])
    election.version += 1
    election.save(update_fields=["version", "updated_at"])
    audit.record("election.candidates", actor=actor, obj=election.org,
                 after={"election": election.pk, "candidates": [[r["member"].pk, r.get("position") or "member"]
                                                                for r in candidates]},
                 detail=f"{election.org}：确定候选人 {len(candidates)} 名")
    return election


def _winners(ballot: list, seats: int, electors: int, on: dt.date, label: str) -> list:
    """Those above the threshold, most votes first, up to the seats; a tie at the last seat needs a new vote."""
    passing = sorted((c for c in ballot if rules.wins(c.votes, electors, on)), key=lambda c: -c.votes)
    if len(passing) > seats and passing[seats - 1].votes == passing[seats].votes:
        raise ValidationError({"votes": f"{label}得票超过半数的候选人中，第 {seats} 名与第 {seats + 1} 名得票相等，"
                                        "应就得票相等的候选人再次投票"})
    return passing[:seats]


@transaction.atomic
def do_record_result(election, *, present_count: int, votes: dict, committee_present: int | None = None,
                     actor) -> Election:
    """Record the count: the quorum (> 4/5 of those due), the votes of each candidate, and the winners (more than
    half of the votes of those present). A new committee opens a new term; a by-election fills the current one."""
    election = _locked(Election, election, actor, roles.COMMITTEE_MANAGE)
    Organization.objects.select_for_update().get(pk=election.org_id)  # one result at a time opens the next term
    if election.state != Election.State.DRAFT:
        raise ValidationError("该选举的结果已经登记")
    on = election.held_on
    if on > dt.date.today():
        raise ValidationError({"present_count": f"选举日期（{on}）还没有到，不能登记结果"})
    if refusal := rules.quorum_refusal(election.due_count, present_count or 0, on):
        raise ValidationError({"present_count": refusal})
    members, secretaries, deputies = _ballots(election)
    if not members and not secretaries and not deputies:
        raise ValidationError({"candidates": "请先确定候选人"})
    errors = []
    for cand in members + secretaries + deputies:
        cand.votes = votes.get(cand.pk, votes.get(str(cand.pk)))
        if cand.votes is None or int(cand.votes) < 0:
            errors.append(f"请填写{cand.member.name}的得票数")
        elif cand.position == Position.MEMBER and int(cand.votes) > present_count:
            errors.append(f"{cand.member.name}的得票数不能多于实到会人数（{present_count}）")
        else:
            cand.votes = int(cand.votes)
    if not errors and sum(c.votes for c in members) > present_count * election.seats:
        errors.append(f"委员得票总数超过了选票上限（实到 {present_count} 人 × 应选 {election.seats} 名）")
    if errors:
        raise ValidationError({"votes": errors})
    elected_members = _winners(members, election.seats, present_count, on, "委员")
    # Without a committee the 党员大会 elects the secretary itself; otherwise the new committee does (支部工作条例).
    leader_electors = present_count
    if election.seats and election.kind == Election.Kind.GENERAL and (secretaries or deputies):
        if refusal := rules.committee_quorum_refusal(committee_present or 0, len(elected_members), on):
            raise ValidationError({"committee_present": refusal})
        leader_electors = committee_present
    chosen = {c.member_id for c in elected_members}
    for cand in secretaries + deputies:
        if cand.votes > leader_electors:
            raise ValidationError({"votes": f"{cand.member.name}的得票数不能多于投票人数（{leader_electors}）"})
    elected_leaders = [c for c in secretaries + deputies if rules.wins(c.votes, leader_electors, on)
                       and (not election.seats or election.kind == Election.Kind.BY_ELECTION or c.member_id in chosen)]
    for cand in members + secretaries + deputies:
        cand.elected = cand in elected_members or cand in elected_leaders
    ElectionCandidate.objects.bulk_update(members + secretaries + deputies, ["votes", "elected"])
    _seat_winners(election, elected_members, elected_leaders)
    election.present_count, election.committee_present = present_count, committee_present
    election.state = Election.State.ELECTED
    election.version += 1
    election.save()
    audit.record("election.result", actor=actor, obj=election.org,
                 after={"election": election.pk, "present": present_count, "due": election.due_count,
                        "elected": sorted(c.member_id for c in elected_members + elected_leaders)},
                 detail=f"{election.org}：{election.get_kind_display()}结果，应到 {election.due_count} 人，实到 {present_count} 人")
    return election


def _seat_winners(election, elected_members: list, elected_leaders: list) -> None:
    org, on = election.org, election.held_on
    general = election.kind == Election.Kind.GENERAL
    if general:
        for holder in current_holders(org):
            holder.ended_on, holder.end_reason = on, "换届"
            holder.version += 1
            holder.save(update_fields=["ended_on", "end_reason", "version", "updated_at"])
        previous = current_term(org)
        if previous and on <= previous.started_on:
            raise ValidationError({"held_on": f"选举日期应晚于本届开始日期（{previous.started_on}）"})
        election.term = _open_term(org, started_on=on, seats=election.seats, number=None, actor=election.created_by,
                                   village_or_community=election.village_or_community,
                                   schedule_note=election.schedule_note)
    source = CommitteeMember.Source.ELECTED if general else CommitteeMember.Source.BY_ELECTION
    posts: dict[int, tuple[str, ElectionCandidate]] = {}
    for cand in elected_members:
        posts[cand.member_id] = (cand.duty if cand.duty and cand.duty not in LEADER_POSITIONS else Position.MEMBER, cand)
    for cand in elected_leaders:
        posts[cand.member_id] = (cand.position, cand)
    try:
        with transaction.atomic():
            CommitteeMember.objects.bulk_create([
                CommitteeMember(org=org, term=election.term, member_id=member_id, position=position, started_on=on,
                                source=source, election=election)
                for member_id, (position, _) in posts.items()])
    except IntegrityError:
        raise ValidationError({"candidates": "当选人中有人已在本届委员会任职"}) from None


@transaction.atomic
def do_approve_election(election, *, on: dt.date, document: str = "", actor) -> Election:
    """The higher organisation approves the secretary and deputy elected (支部工作条例 第二十一条)."""
    election = _locked(Election, election, actor, roles.COMMITTEE_APPROVE)
    _require_parent(actor, election.org)
    errors: dict = {}
    _check_date(on, "approved_on", errors)
    if election.state == Election.State.DRAFT:
        errors["__all__"] = "选举结果尚未登记"
    elif election.approved_on:
        errors["__all__"] = f"已于 {election.approved_on} 批准"
    leaders = CommitteeMember.objects.filter(election=election, position__in=LEADER_POSITIONS)
    if not errors and not leaders.exists():
        errors["__all__"] = "本次选举没有选出书记、副书记，无需批准"
    if not errors and on < election.held_on:
        errors["approved_on"] = "批准日期不能早于选举日期"
    if errors:
        raise ValidationError(errors)
    document = (document or "").strip()[:100]
    leaders.update(approved_on=on, approval_document=document)
    election.approved_on, election.approval_document, election.approved_by = on, document, actor
    _complete_if_done(election)
    audit.record("election.approve", actor=actor, obj=election.org,
                 after={"election": election.pk, "approved_on": on.isoformat(), "document": document},
                 detail=f"{election.org}：上级党组织批准选举产生的书记、副书记")
    return election


@transaction.atomic
def do_file_election(election, *, on: dt.date, actor) -> Election:
    """The committee members elected are reported to the higher organisation for filing (备案)."""
    election = _locked(Election, election, actor, roles.COMMITTEE_MANAGE)
    errors: dict = {}
    _check_date(on, "filed_on", errors)
    if election.state == Election.State.DRAFT:
        errors["__all__"] = "选举结果尚未登记"
    elif election.filed_on:
        errors["__all__"] = f"已于 {election.filed_on} 报备"
    elif on and on < election.held_on:
        errors["filed_on"] = "备案日期不能早于选举日期"
    if errors:
        raise ValidationError(errors)
    election.filed_on = on
    _complete_if_done(election)
    audit.record("election.file", actor=actor, obj=election.org, after={"election": election.pk, "filed_on": on.isoformat()},
                 detail=f"{election.org}：选举结果报上级党组织备案")
    return election


def _complete_if_done(election) -> None:
    needs_approval = CommitteeMember.objects.filter(election=election, position__in=LEADER_POSITIONS).exists()
    if election.filed_on and (election.approved_on or not needs_approval):
        election.state = Election.State.COMPLETED
    election.version += 1
    election.save()


__all__ = [
    "current_holders", "current_term", "do_add_committee_member", "do_approve_election", "do_create_election",
    "do_end_committee_member", "do_file_election", "do_record_result", "do_record_term", "do_set_candidates",
    "electorate",
]
