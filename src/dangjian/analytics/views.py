"""Pages of the indicators: the history of the refreshes with 立即计算, and a member's 党员活力指数 traced to the
behaviour facts behind each point."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from dangjian.accounts import roles
from dangjian.core.views import ScopedViewMixin, paginate
from dangjian.members.models import Member

from . import actions, summaries
from .catalog import BY_CODE, WINDOW_MONTHS
from .models import Fact, FactKind, MemberScore, RefreshRun
from .engines import ENGINES


class RefreshRunsView(ScopedViewMixin, TemplateView):
    """Every refresh (nightly and on demand) with its state and timings; 立即计算 for analytics.refresh holders.
    The runs are deployment-wide records without organisation data: anyone who may view indicators sees them."""

    template_name = "analytics/refresh_runs.html"
    scoped_model = RefreshRun
    perm = roles.ANALYTICS_VIEW

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            page=paginate(self.request, RefreshRun.objects.order_by("-started_at")),
            can_refresh=self.request.user.has_perm_anywhere(roles.ANALYTICS_REFRESH),
            pending=actions.refresh_pending(), engines=ENGINES, today=dt.date.today(), **kwargs)

    def post(self, request):
        try:
            actions.do_request_refresh(actor=request.user, as_of=request.POST.get("as_of") or None,
                                       engine=request.POST.get("engine") or None)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("已加入后台队列，计算完成后刷新本页查看结果"))
        return redirect("analytics:refresh")


class MemberVitalityView(ScopedViewMixin, TemplateView):
    """党员活力指数 of one member: the newest score, the points of each kind of behaviour and the facts behind them."""

    template_name = "analytics/member_vitality.html"
    scoped_model = Member
    perm = roles.MEMBER_VIEW

    def get_context_data(self, **kwargs):
        member = self.get_scoped_object()
        score = MemberScore.objects.filter(member=member).first()
        as_of = summaries.latest_day() if score is not None else None
        kinds = dict(FactKind.choices)
        parts, facts = [], {}
        if score is not None and as_of is not None:
            from dangjian.members.periods import add_months

            start = add_months(as_of, -WINDOW_MONTHS)
            rows = (Fact.objects.filter(member=member, on__gt=start, on__lte=as_of)
                    .select_related("org").order_by("-on", "-id"))
            for fact in rows:
                kind = "dues_payment" if fact.kind == FactKind.DUES_REVERSAL else fact.kind
                facts.setdefault(kind, []).append(fact)
            for kind, part in sorted(score.detail.items(), key=lambda kv: -kv[1].get("points", 0)):
                parts.append({"kind": kind, "label": kinds.get(kind, kind), **part, "facts": facts.get(kind, [])})
        return super().get_context_data(member=member, score=score, as_of=as_of, parts=parts,
                                        indicator=BY_CODE["vitality.member_avg"], **kwargs)
