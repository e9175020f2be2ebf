"""View base classes. Every view is either scoped (reads through `.restrict(user, perm)`) or
explicitly exempt with a stated reason; tests walk the URLconf to hold every route to this."""

from __future__ import annotations

import datetime as dt
import json

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from dangjian.accounts import roles
from dangjian.core import audit, rulebook
from dangjian.core.models import AuditRecord, RuleSetting


class ScopedViewMixin(LoginRequiredMixin):
    """Reads go through `scoped_model.objects.restrict(user, perm)`; an object outside it is a 404."""

    scoped_model = None
    perm: str = ""

    def dispatch(self, request, *args, **kwargs):
        # A role that cannot hold `perm` anywhere sees no such page at all (404, as for any out-of-scope object).
        if request.user.is_authenticated and not request.user.has_perm_anywhere(self.perm):
            raise Http404
        return super().dispatch(request, *args, **kwargs)

    def scoped(self, perm: str | None = None, model=None):
        model = model or self.scoped_model
        return model.objects.restrict(self.request.user, perm or self.perm)

    def get_queryset(self):
        return self.scoped()

    def can(self, perm: str, obj) -> bool:
        """Whether `obj` lies in the user's scope for `perm` (decides which buttons a page shows)."""
        return self.scoped(perm).filter(pk=obj.pk).exists()

    def get_scoped_object(self, perm: str | None = None, **lookup):
        return get_object_or_404(self.scoped(perm), **(lookup or {"pk": self.kwargs["pk"]}))


class ActionFormView(ScopedViewMixin, View):
    """GET shows a form; POST validates it and calls one action. The action's Chinese
    ValidationError messages go beside the fields they name, and nothing is saved."""

    template_name = ""
    form_class = None
    context_name = "org"  # how the target object is called in the template
    success_message = "已保存"

    def get_target(self):
        return self.get_scoped_object() if "pk" in self.kwargs else None

    def get_form(self, target, data=None):
        return self.form_class(data)

    def perform(self, target, form):
        raise NotImplementedError

    def get_success_url(self, obj) -> str:
        raise NotImplementedError

    def render_form(self, target, form):
        return render(self.request, self.template_name, {"form": form, self.context_name: target})

    def get(self, request, **kwargs):
        target = self.get_target()
        return self.render_form(target, self.get_form(target))

    def post(self, request, **kwargs):
        target = self.get_target()
        form = self.get_form(target, request.POST)
        if form.is_valid():
            try:
                obj = self.perform(target, form)
            except ValidationError as exc:
                form_errors_from(form, exc)
            else:
                messages.success(request, self.success_message.format(obj=obj))
                return redirect(self.get_success_url(obj))
        return self.render_form(target, form)


class ScopeExemptMixin:
    """For views that show no scoped data (log-in, log-out, own password, health). Give the reason."""

    scope_exempt = ""


def form_errors_from(form, exc: ValidationError) -> None:
    """Put the Chinese messages of an action's ValidationError beside the fields they name."""
    if hasattr(exc, "error_dict"):
        for field, messages in exc.message_dict.items():
            target = field if field in form.fields else None
            for message in messages:
                form.add_error(target, message)
    else:
        for message in exc.messages:
            form.add_error(None, message)


def paginate(request, queryset, per_page: int = 50):
    paginator = Paginator(queryset, per_page)
    return paginator.get_page(request.GET.get("page"))


class HealthView(ScopeExemptMixin, View):
    scope_exempt = "liveness probe; reads no data"

    def get(self, request):
        return HttpResponse("ok", content_type="text/plain")


AUDIT_ACTION_LABELS = {
    "auth.login": "登录", "auth.logout": "退出登录", "auth.lockout": "账号锁定",
    "auth.token_issue": "签发接口令牌", "auth.token_revoke": "撤销接口令牌",
    "account.create": "创建账号", "account.password_change": "修改密码",
    "role.grant": "授予角色", "role.revoke": "撤销角色",
    "org.create": "新增党组织", "org.update": "修改党组织", "org.move": "调整隶属关系", "org.dissolve": "撤销党组织", "org.merge": "党组织合并",
    "member.move": "组织调整（党员编入）",
    "member.create": "新增党员", "member.update": "修改党员信息", "member.status": "党籍状态变更",
    "member.reveal": "查看完整敏感信息", "audit.view": "查看审计日志", "audit.verify": "校验审计链",
    "demo.seed": "生成示范数据", "crypto.rotate_data_key": "轮换数据密钥",
    "import.upload": "上传导入文件", "import.commit": "完成批量导入", "import.cancel": "取消导入",
    "member.import": "批量导入党员（一批）", "org.import": "批量导入党组织（一批）",
    "dues.standard": "核定党费标准", "dues.standard_confirm": "确认党费标准", "dues.bills": "生成党费账单",
    "dues.pay": "登记党费缴纳", "dues.voluntary": "自愿多交党费", "dues.reverse": "冲正党费缴纳",
    "dues.report": "导出党费报表", "dues.relief_propose": "申请党费减免", "dues.relief_decide": "审批党费减免",
    "dues.order": "发起在线交纳党费",
    "transfer.apply": "申请组织关系转接", "transfer.approve": "审批组织关系转出", "transfer.receive": "接收组织关系",
    "transfer.send_back": "退回组织关系转接", "transfer.withdraw": "撤回组织关系转接",
    "transfer.letter": "开具组织关系介绍信", "transfer.letter_receipt": "登记介绍信回执",
    "transfer.letter_cancel": "作废介绍信", "transfer.agree": "接收党委同意转入",
    "transfer.letter_in": "登记转入介绍信",
    "member.export": "导出党员信息", "org.export": "导出党组织信息", "exchange.export": "导出数据交换包",
    "member.absence": "登记失联或出国（境）", "member.absence_end": "登记恢复联系或回国", "member.contact": "登记联系情况",
    "member.status_propose": "提出党籍处置", "member.status_approve": "批准党籍处置",
    "member.status_send_back": "退回党籍处置", "member.status_withdraw": "撤回党籍处置",
    "discipline.record": "登记党纪处分", "discipline.reveal": "查看处分事由",
    "mobile.outflow": "流动党员外出登记", "mobile.inflow": "流动党员流入登记", "mobile.certificate": "登记流动党员活动证",
    "mobile.review": "流动党员活动证年审", "mobile.close": "结束流动党员登记",
    "term.record": "登记任期", "committee.add": "登记委员会成员", "committee.end": "委员会成员离任",
    "election.create": "筹备选举", "election.candidates": "确定候选人", "election.result": "登记选举结果",
    "election.approve": "上级批准书记、副书记", "election.file": "选举结果报备",
    "group.add": "编入党小组", "group.end": "调出党小组",
    "joint_unit.add": "联合党支部增加覆盖单位", "joint_unit.remove": "联合党支部移出覆盖单位",
    "alerts.evaluate": "运行预警评估", "alerts.acknowledge": "签收督办任务", "alerts.rectify": "报告整改情况",
    "alerts.verify": "核验整改并销号", "alerts.send_back": "退回整改",
    "alerts.evaluate_request": "请求立即预警评估",
    "rules.change": "调整规则参数", "rules.reset": "恢复规则参数",
    # organisational life (组织生活)
    "orglife.schedule": "安排组织生活会议", "orglife.plan": "制定组织生活计划", "orglife.cancel": "取消会议",
    "orglife.leave": "登记请假", "orglife.record": "登记会议记录", "orglife.vote": "登记党员大会表决",
    "orglife.submit": "报送会议记录", "orglife.approve": "审核通过会议记录", "orglife.return": "退回会议记录",
    "orglife.checkin": "扫码签到", "orglife.checkin_on_behalf": "代为签到", "orglife.checkin_reset": "重置签到码",
    "orglife.file": "上传会议附件", "orglife.appraisal_open": "开启民主评议", "orglife.assess": "登记民主测评",
    "orglife.appraisal_decide": "评定民主评议等次", "orglife.follow_up_close": "办结后续处置事项",
    "orglife.talk": "登记谈心谈话", "orglife.feed_issue": "生成日历订阅地址", "orglife.feed_revoke": "停用日历订阅地址",
    "orglife.reschedule": "会议改期", "orglife.self_assess": "提交个人自评",
    # Recruitment (发展党员)
    "recruitment.apply": "登记入党申请", "recruitment.step": "登记发展党员环节",
    "recruitment.transfer_in": "转入预备党员建立考察记录", "recruitment.holiday": "维护节假日",
    "recruitment.template": "上传文书模板", "recruitment.document": "生成发展党员文书",
    "statistics.export": "导出党内统计年报",
}


class AuditLogView(ScopedViewMixin, TemplateView):
    """The audit log, for the audit administrator only (everyone else gets 404)."""

    template_name = "core/audit_log.html"
    scoped_model = AuditRecord
    perm = roles.AUDIT_VIEW

    def get_context_data(self, **kwargs):
        params = self.request.GET
        records = self.scoped().order_by("-seq")
        filters = {}
        if params.get("actor"):
            records = records.filter(actor_name__icontains=params["actor"].strip())
            filters["actor"] = params["actor"]
        if params.get("action"):
            records = records.filter(action=params["action"])
        if params.get("result"):
            records = records.filter(result=params["result"])
        if params.get("object_id"):
            records = records.filter(object_id=params["object_id"].strip())
        for name, lookup in (("since", "occurred_at__date__gte"), ("until", "occurred_at__date__lte")):
            if params.get(name):
                try:
                    records = records.filter(**{lookup: dt.date.fromisoformat(params[name])})
                except ValueError:
                    filters["date_error"] = _("日期格式应为 YYYY-MM-DD")
        if not self.request.htmx and "page" not in params:
            audit.record("audit.view", actor=self.request.user, detail=params.urlencode()[:500])
        page = paginate(self.request, records)
        for rec in page:
            rec.action_label = AUDIT_ACTION_LABELS.get(rec.action, rec.action)
        return super().get_context_data(
            page=page, params=params, filters=filters, action_labels=sorted(AUDIT_ACTION_LABELS.items()),
            results=AuditRecord.Result.choices, **kwargs,
        )


class AuditVerifyView(AuditLogView):
    http_method_names = ["post"]

    def post(self, request):
        result = audit.verify()
        audit.record("audit.verify", actor=request.user, result="success" if result.ok else "failure",
                     detail=result.reason or f"{result.checked} 条记录完整")
        return render(request, "core/_audit_verify.html", {"result": result})


def not_found(request, exception=None):
    return render(request, "errors/404.html", status=404)


def server_error(request):
    return render(request, "errors/500.html", {"request_id": getattr(request, "request_id", "")}, status=500)


def forbidden(request, exception=None):
    return render(request, "errors/403.html", status=403)


def my_arrears(user):
    """A member's own unpaid dues in a row (the reminder on their home page)."""
    from dangjian.dues.models import DuesBill
    from dangjian.dues.queries import arrears_by_member

    bills = DuesBill.objects.restrict(user, roles.DUES_VIEW).filter(member__user=user)
    found = list(arrears_by_member(bills).values())
    return found[0] if found and found[0].consecutive else None


class HomeView(ScopeExemptMixin, LoginRequiredMixin, TemplateView):
    """Needs my attention: computed from the member records in the user's own scope."""

    scope_exempt = "every role lands here; its counts are read through Member.objects.restrict()"
    template_name = "core/home.html"

    def get_context_data(self, **kwargs):
        from dangjian.dues.queries import attention_items as dues_items  # the apps import core: import late
        from dangjian.members.queries import attention_items

        user = self.request.user
        items = attention_items(user) if user.has_perm_anywhere(roles.MEMBER_ADD) else []
        if user.has_perm_anywhere(roles.MEMBER_CHANGE):
            from dangjian.members.queries import transfer_items

            items = transfer_items(user) + items
        if user.has_perm_anywhere(roles.DUES_MANAGE):
            items = dues_items(user) + items
        if user.has_perm_anywhere(roles.MEMBER_CHANGE):
            from dangjian.members.lifecycle_queries import lifecycle_items

            items = lifecycle_items(user) + items
        if user.has_perm_anywhere(roles.COMMITTEE_VIEW):
            from dangjian.orgs.governance_queries import attention_items as term_items

            items = term_items(user) + items
        if user.has_perm_anywhere(roles.ALERTS_VIEW):
            from dangjian.alerts.queries import attention_items as alert_items

            items = alert_items(user) + items
        if user.has_perm_anywhere(roles.ORGLIFE_MANAGE) or user.has_perm_anywhere(roles.ORGLIFE_REVIEW):
            from dangjian.orglife.queries import attention_items as orglife_items  # organisational life

            items = orglife_items(user) + items
        # Recruitment (发展党员): time limits of the branch's candidates, and the approvals due at the 党委.
        if user.has_perm_anywhere(roles.RECRUITMENT_VIEW):
            from dangjian.recruitment.queries import attention_items as recruitment_items

            items = recruitment_items(user) + items
        member_only = user.role_names() == {"member"}
        return super().get_context_data(items=items, is_member_only=member_only,
                                        my_arrears=my_arrears(user) if member_only else None, **kwargs)


def _shown(value) -> str:
    return json.dumps(value, ensure_ascii=False)


SOURCE_LABELS = {"app": "系统中调整", "deployment": "部署配置", "regulation": "法规规定"}


class RuleSettingsView(ScopedViewMixin, TemplateView):
    """The local and unverified regulation values in force, for the system administrator to adjust."""

    template_name = "core/rule_settings.html"
    scoped_model = RuleSetting
    perm = roles.RULES_MANAGE

    def rows(self):
        from dangjian.alerts.rules import REGISTRY

        from dangjian.core.rule_settings import describe

        saved = {s.name: s for s in self.scoped().select_related("changed_by")}
        for name in rulebook.ADJUSTABLE:
            row = describe(name)
            yield {**row, "value": _shown(row["value"]), "regulation": _shown(row["regulation_value"]),
                   "source": SOURCE_LABELS[row["source"]], "setting": saved.get(name),
                   "rules": [rule.name for rule in REGISTRY.values() if name in rule.parameters]}

    def get_context_data(self, **kwargs):
        return super().get_context_data(rows=list(self.rows()), **kwargs)


class RuleSettingView(ScopedViewMixin, TemplateView):
    """Adjust one value (or restore the regulation's); a refused value is shown with its reason and changes nothing."""

    template_name = "core/rule_setting.html"
    scoped_model = RuleSetting
    perm = roles.RULES_MANAGE

    def get_context_data(self, **kwargs):
        name = self.kwargs["name"]
        if name not in rulebook.ADJUSTABLE:
            raise Http404
        return super().get_context_data(
            name=name, label=rulebook.ADJUSTABLE[name], citation=rulebook.citation(name),
            current=_shown(rulebook.value(name)), regulation=_shown(rulebook.regulation_value(name)),
            source=SOURCE_LABELS[rulebook.source(name)], setting=self.scoped().filter(name=name).first(),
            raw=kwargs.pop("raw", None), **kwargs)

    def post(self, request, name):
        from dangjian.core import rule_settings

        if name not in rulebook.ADJUSTABLE:
            raise Http404
        raw, reason = request.POST.get("value", ""), request.POST.get("reason", "")
        try:
            if request.POST.get("reset"):
                rule_settings.do_reset_rule_value(name, reason=reason, actor=request.user)
                messages.success(request, _("已恢复为法规规定（或部署配置）的取值"))
            else:
                rule_settings.do_set_rule_value(name, rule_settings.parse(raw), reason=reason, actor=request.user)
                messages.success(request, _("已保存，新取值立即生效"))
        except ValidationError as exc:
            errors = exc.message_dict if hasattr(exc, "error_dict") else {"value": exc.messages}
            context = self.get_context_data(raw=raw, reason=reason, errors=errors)
            return self.render_to_response(context, status=400)
        return redirect("rule_settings")
