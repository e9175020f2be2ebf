"""Pages of the warning engine: my tasks and inbox, an organisation's warning board (lights rolled up the tree)
with the drill-down to the evidence, and the task page with its steps. Reads through `.restrict`, writes through
`actions`."""

from __future__ import annotations

import datetime as dt
import json

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.views import View
from django.views.generic import TemplateView

from dangjian.accounts import roles
from dangjian.core.views import ScopedViewMixin, paginate
from dangjian.members.models import Member
from dangjian.orgs.models import Organization

from . import actions, queries
from .choices import Level, TaskState
from .models import Evaluation, Finding, InboxMessage, RectificationTask
from .rules import REGISTRY

EVIDENCE_LABELS = {
    "member_id": "党员", "member_ids": "涉及党员", "term_id": "任期记录", "number": "届次", "ends_on": "届满日期",
    "days_left": "距届满天数", "value": "实际数值", "limit": "规定数值", "consecutive": "连续欠缴月数",
    "months": "欠缴月份", "joined_on": "入党日期", "probation_ended_on": "预备期满日期", "kind": "处置事项",
    "ground": "依据情形", "since": "起始日期", "due_on": "应提出日期", "absence_id": "失联登记",
    "mobile_record_id": "流动党员登记", "certificate_number": "活动证编号", "review_due_on": "应年审日期",
    "hours": "已完成学时（按党员编号）", "pace": "按进度应达到学时", "behind_half": "不足进度一半的党员（编号）",
    "period": "周期", "period_start": "周期开始", "period_end": "周期结束",
}


class TasksView(ScopedViewMixin, TemplateView):
    """我的督办: tasks of the organisations I manage, rectifications below me to verify, my inbox."""

    template_name = "alerts/tasks.html"
    scoped_model = RectificationTask
    perm = roles.ALERTS_VIEW

    def get_context_data(self, **kwargs):
        manage, verify = queries.my_tasks(self.request.user)
        related = ("finding", "org", "escalated_to")
        inbox = InboxMessage.objects.restrict(self.request.user)
        return super().get_context_data(
            manage=manage.select_related(*related)[:200], verify=verify.select_related(*related)[:200],
            inbox=inbox[:30], unread=inbox.filter(read_at__isnull=True).count(),
            tops=queries_top(self.request.user), today=dt.date.today(), **kwargs)


def queries_top(user):
    from dangjian.orgs.queries import top_visible

    return top_visible(user, roles.ALERTS_VIEW)


class InboxReadView(ScopedViewMixin, View):
    scoped_model = InboxMessage
    perm = roles.ALERTS_VIEW
    http_method_names = ["post"]

    def post(self, request):
        ids = [int(i) for i in request.POST.getlist("message") if i.isdigit()]
        if not ids:
            ids = list(InboxMessage.objects.restrict(request.user).values_list("pk", flat=True))
        actions.do_mark_inbox_read(ids, actor=request.user)
        return redirect("alerts:tasks")


class BoardView(ScopedViewMixin, TemplateView):
    """亮灯看板: the organisation's own lights per rule, and each organisation directly below it with how many of its
    organisations are red or yellow, and for what."""

    template_name = "alerts/board.html"
    scoped_model = Organization
    perm = roles.ALERTS_VIEW

    def get_context_data(self, **kwargs):
        if "pk" in self.kwargs:
            org = self.get_scoped_object()
        else:
            tops = queries_top(self.request.user)
            if not tops:
                raise Http404
            org = tops[0]
        board = queries.board(org, self.request.user)
        findings = Finding.objects.restrict(self.request.user, self.perm).filter(resolved_on__isnull=True)
        rule = self.request.GET.get("rule", "")
        if rule in REGISTRY:
            findings = findings.filter(org__path__startswith=org.path, rule=rule)
        else:
            rule, findings = "", findings.filter(org=org)
        parent = (self.scoped().filter(path=org.path[:-Organization.steplen]).first() if org.depth > 1 else None)
        return super().get_context_data(
            org=org, board=board, parent=parent, metrics=queries.task_metrics(org, self.request.user), rule=rule, rule_name=REGISTRY[rule].name if rule else "",
            page=paginate(self.request, findings.select_related("org", "member").order_by("-level", "org__path", "id")),
            own_rows=sorted(((REGISTRY[c].name if c in REGISTRY else c, c, lv) for c, lv in board.own.items()),
                            key=lambda r: (r[2] != Level.RED, r[0])), **kwargs)


class FindingView(ScopedViewMixin, TemplateView):
    """The drill-down: what the rule found, the rows that prove it, the task it opened."""

    template_name = "alerts/finding.html"
    scoped_model = Finding
    perm = roles.ALERTS_VIEW

    def get_context_data(self, **kwargs):
        finding = self.get_scoped_object()
        ids = set()
        for key in ("member_id", "member_ids"):
            value = finding.evidence.get(key)
            ids.update(value if isinstance(value, list) else [value] if value else [])
        members = {m.pk: m for m in Member.objects.restrict(self.request.user, roles.MEMBER_VIEW).filter(pk__in=ids)}
        rows = []
        for key, value in finding.evidence.items():
            if key in ("member_id", "member_ids"):
                listed = value if isinstance(value, list) else [value]
                value = [members.get(i) or f"#{i}" for i in listed]
            elif isinstance(value, list):
                value = "、".join(str(v) for v in value)
            rows.append((EVIDENCE_LABELS.get(key, key), value, key in ("member_id", "member_ids")))
        task = RectificationTask.objects.restrict(self.request.user, self.perm).filter(finding=finding).first()
        return super().get_context_data(finding=finding, rule=REGISTRY.get(finding.rule), rows=rows, task=task,
                                        **kwargs)


class TaskView(ScopedViewMixin, TemplateView):
    template_name = "alerts/task.html"
    scoped_model = RectificationTask
    perm = roles.ALERTS_VIEW

    def get_context_data(self, **kwargs):
        task = self.get_scoped_object()
        user = self.request.user
        return super().get_context_data(
            task=task, steps=task.steps.select_related("actor"),
            reported_by_me=task.state == TaskState.RECTIFIED and actions.reported_by(task) == user.pk,
            can_manage=self.can(roles.ALERTS_MANAGE, task) if self.request.user.has_perm_anywhere(roles.ALERTS_MANAGE)
            else False,
            can_verify=self.can(roles.ALERTS_VERIFY, task) if self.request.user.has_perm_anywhere(roles.ALERTS_VERIFY)
            else False, **kwargs)


class TaskStepView(ScopedViewMixin, View):
    """One step of the loop from the task page; a refused step shows its Chinese reason there."""

    scoped_model = RectificationTask
    http_method_names = ["post"]

    def perform(self, task, data):
        raise NotImplementedError

    def post(self, request, pk):
        task = self.get_scoped_object()
        try:
            self.perform(task, request.POST)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, "已办理")
        return redirect("alerts:task", pk=task.pk)


class AcknowledgeView(TaskStepView):
    perm = roles.ALERTS_MANAGE

    def perform(self, task, data):
        actions.do_acknowledge_task(task, actor=self.request.user)


class RectifyView(TaskStepView):
    perm = roles.ALERTS_MANAGE

    def perform(self, task, data):
        actions.do_rectify_task(task, note=data.get("note", ""), actor=self.request.user)


class VerifyView(TaskStepView):
    perm = roles.ALERTS_VERIFY

    def perform(self, task, data):
        actions.do_verify_task(task, accepted=data.get("decision") == "accept", note=data.get("note", ""),
                               actor=self.request.user)


class RulesView(ScopedViewMixin, TemplateView):
    """The warning rules: what each checks, the regulation it cites, its parameters in force and its lights."""

    template_name = "alerts/rules.html"
    scoped_model = Finding
    perm = roles.ALERTS_VIEW

    def get_context_data(self, **kwargs):
        from dangjian.core import rulebook

        today = dt.date.today()
        rules = [{"rule": rule, "parameters": [
            (name, rulebook.ADJUSTABLE.get(name, ""), json.dumps(rulebook.value(name, today), ensure_ascii=False),
             rulebook.source(name)) for name in rule.parameters]} for rule in REGISTRY.values()]
        return super().get_context_data(rules=rules, levels=dict(Level.choices),
                                        can_adjust=self.request.user.has_perm_anywhere(roles.RULES_MANAGE), **kwargs)


class EvaluationsView(ScopedViewMixin, TemplateView):
    """The runs of the engine (nightly and on demand), and 立即评估 for the organisation department."""

    template_name = "alerts/evaluations.html"
    scoped_model = Evaluation
    perm = roles.ALERTS_EVALUATE

    def get_context_data(self, **kwargs):
        return super().get_context_data(page=paginate(self.request, self.scoped().order_by("-started_at")),
                                        pending=actions.evaluation_pending(), **kwargs)

    def post(self, request):
        try:
            actions.do_request_evaluation(actor=request.user)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, "已加入后台队列，评估完成后刷新本页查看结果")
        return redirect("alerts:evaluations")
