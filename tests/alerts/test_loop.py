"""The evaluation job and the rectification loop (督办): idempotent runs, lights that go out when the problem does,
recurrence, escalation, the steps and who may take them."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.http import Http404

from dangjian.alerts import actions
from dangjian.alerts.models import Finding, InboxMessage, RectificationTask
from dangjian.core.models import AuditRecord
from dangjian.members.models import Absence

from .helpers import ON, unpaid_months

pytestmark = pytest.mark.django_db
CODES = ["dues_arrears"]


def arrears_task(world, months=3, on=ON):
    member = world.members["BR1"][1]
    unpaid_months(world, member, months, on)
    actions.do_run_evaluation(on, codes=CODES)
    return RectificationTask.objects.get(finding__member=member)


def test_two_runs_make_one_finding_and_one_task(world):
    unpaid_months(world, world.members["BR1"][1], 3)
    first = actions.do_run_evaluation(ON, codes=CODES)
    told = InboxMessage.objects.count()
    second = actions.do_run_evaluation(ON, codes=CODES)
    assert told > 0 and InboxMessage.objects.count() == told  # the second run tells nobody again
    assert (first.opened, first.tasks_opened) == (1, 1)
    assert (second.opened, second.tasks_opened, second.still_open) == (0, 0, 1)
    assert Finding.objects.count() == 1 and RectificationTask.objects.count() == 1
    assert AuditRecord.objects.filter(action="alerts.evaluate").count() == 2


@pytest.mark.django_db(transaction=True)
def test_two_evaluations_at_the_same_moment_take_turns_and_open_one_task(world):
    import threading

    from django.db import connections

    unpaid_months(world, world.members["BR1"][1], 3)
    barrier, outcomes = threading.Barrier(2), []

    def evaluate():
        try:
            barrier.wait()
            run = actions.do_run_evaluation(ON, codes=CODES)
            outcomes.append(run.tasks_opened)
        except Exception as exc:  # noqa: BLE001 - the test reports whatever went wrong
            outcomes.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=evaluate) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes, key=str) == [0, 1]
    assert Finding.objects.count() == 1 and RectificationTask.objects.count() == 1


def test_the_whole_evaluation_runs_twice_without_new_findings(world):
    actions.do_run_evaluation(ON)
    count = Finding.objects.count()
    assert count > 0  # the fixture branches have no secretary
    again = actions.do_run_evaluation(ON)
    assert again.opened == 0 and again.tasks_opened == 0 and Finding.objects.count() == count


def test_the_command_evaluates_on_the_date_given(world, capsys):
    unpaid_months(world, world.members["BR1"][1], 6)
    call_command("alerts", "evaluate", "--on", ON.isoformat(), "--rule", "dues_arrears")
    assert "新发现 1" in capsys.readouterr().out
    assert Finding.objects.get().level == "red"


def test_a_level_change_updates_the_same_finding(world):
    task = arrears_task(world, months=3)
    assert task.finding.level == "yellow"
    later = dt.date(2026, 9, 15)  # three more months unpaid: six in a row
    member = world.members["BR1"][1]
    from dangjian.dues.models import DuesBill, DuesStandard
    from dangjian.dues.months import add_months, month_of

    standard = DuesStandard.objects.get(member=member)
    for k in range(1, 4):
        DuesBill.objects.create(member=member, month=add_months(month_of(later), -k), amount="50", standard=standard,
                                org=member.org)
    actions.do_run_evaluation(later, codes=CODES)
    assert Finding.objects.get().level == "red" and Finding.objects.get().first_seen == ON


def test_evidence_that_changed_is_rewritten_and_unchanged_findings_are_left_as_they_are(world):
    from dangjian.alerts.evaluation import content_digest
    from dangjian.alerts.rules import REGISTRY

    task = arrears_task(world, months=3)
    finding = task.finding
    (hit,) = REGISTRY["dues_arrears"].evaluate(ON)  # the digest is of what the rule says, as it says it
    assert finding.digest == content_digest(hit.level, hit.message, hit.evidence)
    # Written by an earlier version of the rule: same level and message, other evidence.
    Finding.objects.filter(pk=finding.pk).update(evidence={"months": []}, digest="0" * 32)
    run = actions.do_run_evaluation(ON, codes=CODES)
    assert Finding.objects.get().evidence == finding.evidence and run.still_open == 1
    Finding.objects.filter(pk=finding.pk).update(message="不会被重写")  # same digest: the row is not rewritten
    actions.do_run_evaluation(ON, codes=CODES)
    assert Finding.objects.get().message == "不会被重写"


def test_a_finding_stored_before_digests_were_kept_gets_one_and_is_rewritten_only_if_it_changed(world):
    task = arrears_task(world, months=3)
    digest = Finding.objects.get().digest
    Finding.objects.update(digest="")
    run = actions.do_run_evaluation(ON, codes=CODES)
    assert Finding.objects.get().digest == digest and run.still_open == 1
    Finding.objects.update(digest="", evidence={"months": []})
    actions.do_run_evaluation(ON, codes=CODES)
    finding = Finding.objects.get()
    assert finding.digest == digest and finding.evidence == task.finding.evidence


def test_a_resolved_finding_turns_its_light_green_and_a_recurrence_reopens_the_closed_task(world):
    member = world.members["BR1"][0]
    absence = Absence.objects.create(member=member, kind=Absence.Kind.LOST_CONTACT, since=dt.date(2026, 5, 1),
                                     recorded_by=world.secretary)
    actions.do_run_evaluation(ON, codes=["lost_contact"])
    task = RectificationTask.objects.get()
    absence.ended_on = dt.date(2026, 6, 16)
    absence.save()
    run = actions.do_run_evaluation(dt.date(2026, 6, 17), codes=["lost_contact"])
    assert run.resolved == 1 and Finding.objects.get().resolved_on == dt.date(2026, 6, 17)
    actions.do_acknowledge_task(task, actor=world.secretary)
    actions.do_rectify_task(task, note="已联系本人，恢复组织生活", actor=world.secretary)
    actions.do_verify_task(task, accepted=True, actor=world.committee_organizer, on=dt.date(2026, 6, 20))
    assert RectificationTask.objects.get().state == "closed"
    Absence.objects.create(member=member, kind=Absence.Kind.LOST_CONTACT, since=dt.date(2026, 7, 1),
                           recorded_by=world.secretary)
    run = actions.do_run_evaluation(dt.date(2026, 7, 5), codes=["lost_contact"])
    task.refresh_from_db()
    finding = Finding.objects.get()
    assert (run.tasks_reopened, task.state, task.reopened, finding.recurrences) == (1, "open", 1, 1)
    assert finding.resolved_on is None and list(task.steps.values_list("kind", flat=True))[-1] == "reopened"


def test_a_task_escalates_one_level_the_day_after_its_deadline(world):
    task = arrears_task(world)  # yellow: 30 days by default
    assert task.deadline == ON + dt.timedelta(days=30)
    actions.do_run_evaluation(task.deadline, codes=CODES)
    task.refresh_from_db()
    assert task.escalated_to is None
    actions.do_run_evaluation(task.deadline + dt.timedelta(days=1), codes=CODES)
    task.refresh_from_db()
    assert (task.escalated_to, task.escalations) == (world.sta, 1)
    assert InboxMessage.objects.filter(user=world.committee_organizer, task=task).exists()
    actions.do_run_evaluation(task.deadline + dt.timedelta(days=1), codes=CODES)
    task.refresh_from_db()
    assert (task.escalated_to, task.escalations) == (world.dist, 2)


def test_a_rectified_task_does_not_escalate(world):
    task = arrears_task(world)
    actions.do_acknowledge_task(task, actor=world.secretary)
    actions.do_rectify_task(task, note="已补交", actor=world.officer)
    actions.do_run_evaluation(task.deadline + dt.timedelta(days=1), codes=CODES)
    task.refresh_from_db()
    assert task.escalations == 0


def test_the_branch_acknowledges_and_rectifies_and_the_committee_above_verifies(world):
    task = arrears_task(world)
    assert InboxMessage.objects.filter(user=world.secretary, task=task).exists()
    with pytest.raises(ValidationError) as exc:
        actions.do_rectify_task(task, note="已补交", actor=world.secretary)
    assert "先签收" in str(exc.value)
    actions.do_acknowledge_task(task, actor=world.secretary)
    with pytest.raises(ValidationError):
        actions.do_rectify_task(task, note="  ", actor=world.secretary)
    actions.do_rectify_task(task, note="已谈话，补交三个月党费", actor=world.secretary)
    with pytest.raises(Http404):  # the branch never verifies its own rectification
        actions.do_verify_task(task, accepted=True, actor=world.secretary)
    with pytest.raises(ValidationError):
        actions.do_verify_task(task, accepted=False, note="", actor=world.committee_organizer)
    actions.do_verify_task(task, accepted=False, note="缺少交费凭证", actor=world.committee_organizer)
    task.refresh_from_db()
    assert task.state == "acknowledged"
    actions.do_rectify_task(task, note="附交费凭证", actor=world.secretary)
    actions.do_verify_task(task, accepted=True, actor=world.organizer)
    task.refresh_from_db()
    assert task.state == "closed" and task.closed_on is not None
    assert list(task.steps.values_list("kind", flat=True)) == [
        "opened", "acknowledged", "rectified", "sent_back", "rectified", "verified"]
    assert set(AuditRecord.objects.filter(object_type="alerts.rectificationtask", object_id=str(task.pk)).values_list("action", flat=True)) == {
        "alerts.acknowledge", "alerts.rectify", "alerts.send_back", "alerts.verify"}


def test_another_branch_and_a_plain_member_cannot_touch_the_task(world):
    task = arrears_task(world)
    for user in (world.secretary2, world.member_user, world.sysadmin):
        with pytest.raises(Http404):
            actions.do_acknowledge_task(task, actor=user)
    assert RectificationTask.objects.get().state == "open"


def test_notices_go_through_the_configured_adapter(world, settings, tmp_path, django_capture_on_commit_callbacks):
    settings.ALERTS_NOTIFIERS = ["dangjian.alerts.notify.FileAdapter"]
    settings.ALERTS_NOTIFY_FILE = str(tmp_path / "notices.jsonl")
    with django_capture_on_commit_callbacks(execute=True):
        task = arrears_task(world)
    lines = [json.loads(line) for line in open(settings.ALERTS_NOTIFY_FILE, encoding="utf-8")]
    assert {(n["username"], n["task_id"]) for n in lines} == {("secretary", task.pk), ("officer", task.pk)}


def test_the_background_job_runs_the_same_evaluation(world):
    from dangjian.alerts.jobs import evaluate_warnings

    unpaid_months(world, world.members["BR1"][1], 3)
    result = evaluate_warnings.call(ON.isoformat())
    assert result["tasks_opened"] == RectificationTask.objects.count() > 0
    assert evaluate_warnings.call(ON.isoformat())["opened"] == 0


def test_the_inbox_is_read_by_its_owner_only(world, client):
    arrears_task(world)
    client.force_login(world.secretary)
    client.post("/alerts/inbox/read/")
    assert not InboxMessage.objects.filter(user=world.secretary, read_at__isnull=True).exists()
    assert InboxMessage.objects.filter(user=world.officer, read_at__isnull=True).exists()


def test_whoever_reported_the_rectification_cannot_verify_it(world, client):
    """整改与核验分离: the committee organizer may act for a branch below, but never on both sides of one task."""
    task = arrears_task(world)
    actions.do_acknowledge_task(task, actor=world.committee_organizer)
    actions.do_rectify_task(task, note="已督促补交", actor=world.committee_organizer)
    with pytest.raises(ValidationError) as exc:
        actions.do_verify_task(task, accepted=True, actor=world.committee_organizer)
    assert "整改与核验分离" in str(exc.value)
    task.refresh_from_db()
    assert task.state == "rectified"
    client.force_login(world.committee_organizer)
    page = client.get(f"/alerts/tasks/{task.pk}/").content.decode()
    assert "整改与核验分离" in page and "核验通过，销号" not in page
    actions.do_verify_task(task, accepted=True, actor=world.organizer)
    task.refresh_from_db()
    assert task.state == "closed"


def test_a_new_task_tells_each_holder_of_its_organisation_once_and_nobody_else(world):
    from dangjian.accounts.models import RoleAssignment
    from dangjian.accounts.roles import RoleName

    # The secretary also holds a second role there: still one message. A revoked role and an inactive account tell
    # nobody; the secretary of another branch hears nothing of BR1's task.
    RoleAssignment.objects.create(user=world.secretary, role=RoleName.ORGANIZATION_OFFICER, org=world.br1,
                                  scope=RoleAssignment.objects.get(user=world.officer).scope)
    RoleAssignment.objects.filter(user=world.officer).update(revoked_at=dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc))
    world.member_user.__class__.objects.filter(pk=world.secretary2.pk).update(is_active=False)
    RoleAssignment.objects.create(user=world.secretary2, role=RoleName.SECRETARY, org=world.br1,
                                  scope=RoleAssignment.objects.get(user=world.secretary, role=RoleName.SECRETARY).scope)
    task = arrears_task(world, months=6)
    messages = list(InboxMessage.objects.values_list("user__username", "task_id", "title", "body"))
    assert messages == [("secretary", task.pk, "新的督办任务（红灯）", task.finding.message)]


def test_notices_are_not_built_when_the_console_log_is_off(world, settings, django_capture_on_commit_callbacks):
    import logging

    from dangjian.alerts import notify

    settings.ALERTS_NOTIFIERS = ["dangjian.alerts.notify.ConsoleAdapter"]
    logger = logging.getLogger("dangjian.alerts.notify")
    before = logger.level
    try:
        logger.setLevel(logging.WARNING)
        assert notify.adapters() == []
        with django_capture_on_commit_callbacks() as callbacks:
            arrears_task(world)
        assert callbacks == [] and InboxMessage.objects.count() == 2
        logger.setLevel(logging.INFO)
        assert [a.channel for a in notify.adapters()] == ["console"]
    finally:
        logger.setLevel(before)
