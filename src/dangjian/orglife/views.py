"""Pages of organisational life: the calendar of an organisation, meeting records with check-in, review by the
organisation above, compliance rolled up the tree, 谈心谈话, 民主评议, and members' own phone pages.

Every page reads through `.restrict(user, perm)` (404 outside the scope) and writes through the actions; their
Chinese reasons are shown beside the fields they name.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views import View
from django.views.generic import TemplateView

from dangjian.accounts import roles
from dangjian.core.views import ActionFormView, ScopedViewMixin, ScopeExemptMixin
from dangjian.members.models import Member
from dangjian.orgs.models import Organization

from . import actions, appraisals, checkin, files, participants, queries, rules
from . import forms as f
from .calendar_feed import calendar_text, feed_for, feed_user
from .choices import HELD_STATES, MeetingKind, MeetingState, Presence
from .models import Appraisal, AppraisalEntry, Attendance, FollowUpItem, HeartTalk, Meeting, MeetingFile


def _month(value: str | None) -> dt.date:
    try:
        year, month = (int(x) for x in (value or "").split("-"))
        return dt.date(year, month, 1)
    except ValueError:
        return timezone.localdate().replace(day=1)


def _year(value: str | None) -> int:
    try:
        year = int(value or "")
    except ValueError:
        return timezone.localdate().year
    return year if 2000 <= year <= timezone.localdate().year + 1 else timezone.localdate().year


class HomeView(ScopedViewMixin, View):
    """The organisational life of the highest organisation the user manages."""

    scoped_model = Organization
    perm = roles.ORGLIFE_MANAGE

    def get(self, request):
        from dangjian.orgs.queries import top_visible

        tops = top_visible(request.user, self.perm)
        if not tops:
            raise Http404
        return redirect("orglife:calendar", pk=tops[0].pk)


class OrgPage(ScopedViewMixin):
    scoped_model = Organization
    perm = roles.ORGLIFE_MANAGE


class CalendarView(OrgPage, TemplateView):
    """The organisation's meetings month by month (its 党小组 included), with what is still owed this period."""

    template_name = "orglife/calendar.html"

    def get_context_data(self, **kwargs):
        org = self.get_scoped_object()
        month = _month(self.request.GET.get("month"))
        span = rules.span_of(month, "month")
        meetings = (Meeting.objects.restrict(self.request.user, roles.ORGLIFE_VIEW)
                    .filter(org__path__startswith=org.path, starts_at__date__gte=span.start,
                            starts_at__date__lte=span.end).select_related("org").order_by("starts_at"))
        days = {}
        for m in meetings:
            days.setdefault(m.held_on, []).append(m)
        previous = (span.start - dt.timedelta(days=1)).replace(day=1)
        following = span.end + dt.timedelta(days=1)
        today = timezone.localdate()
        rows = queries.compliance(Organization.objects.filter(pk=org.pk), today.year, today)
        owed = [k for k in (rows[0].kinds if rows else []) if k.current and not k.current_held]
        return super().get_context_data(
            org=org, month=span, days=sorted(days.items()), previous=previous.isoformat()[:7],
            following=following.isoformat()[:7], owed=owed, holds=bool(participants.kinds_for(org)),
            groups=self.scoped().filter(path__startswith=org.path, org_type="group", status="active"), **kwargs)


class ComplianceView(OrgPage, TemplateView):
    """Required vs held per kind for the organisation, or rolled up over the organisations below it."""

    template_name = "orglife/compliance.html"
    perm = roles.ORGLIFE_VIEW

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not request.user.has_perm_anywhere(roles.ORGLIFE_MANAGE):
            raise Http404  # a member sees their own record, not the branch's
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        org = self.get_scoped_object()
        year = _year(self.request.GET.get("year"))
        on = min(timezone.localdate(), dt.date(year, 12, 31))
        visible = self.scoped().filter(path__startswith=org.path)
        rows = queries.compliance(visible, year, on)
        single = len(rows) == 1 and rows[0].org.pk == org.pk
        context = {"org": org, "year": year, "on": on, "rows": rows, "single": single,
                   "years": list(range(timezone.localdate().year, timezone.localdate().year - 5, -1))}
        if single:
            context["status"] = rows[0]
            if org.org_type != "group":
                context["talks"] = queries.talk_coverage(org, year, on)
        else:
            context["buckets"] = queries.rollup(org, rows, visible)
            context["lagging"] = [r for r in rows if r.missing_count][:200]
        return super().get_context_data(**context, **kwargs)


class OrgLifeForm(ActionFormView):
    """A form page of one action on `scoped_model`; `title` names it, `back` (a URL name taking the target's
    `back_field`) is where Cancel and success lead."""

    template_name = "orglife/form.html"
    perm = roles.ORGLIFE_MANAGE
    title = ""
    enctype = ""
    back = ""
    back_field = "pk"

    def render_form(self, target, form):
        return render(self.request, self.template_name, {"form": form, "target": target, "title": self.title,
                                                         "back": self.back_url(target), "enctype": self.enctype})

    def back_url(self, target):
        return reverse(self.back, args=[getattr(target, self.back_field)])

    def get_success_url(self, obj):
        return self.back_url(self.get_target())


class OrgForm(OrgLifeForm):
    scoped_model = Organization
    back = "orglife:calendar"


class MeetingCreateView(OrgForm):
    title = "安排会议"
    form_class = f.MeetingForm
    success_message = "已安排会议，应到人员已按会议日期确定"

    def perform(self, org, form):
        d = form.cleaned_data
        return actions.do_schedule_meeting(
            org, kind=d["kind"], topic=d["topic"], starts_at=d["starts_at"], ends_at=d["ends_at"], place=d["place"],
            also_counts_as=d["also_counts_as"], latitude=d["latitude"], longitude=d["longitude"],
            checkin_radius=d["checkin_radius"], actor=self.request.user)

    def get_success_url(self, obj):
        return reverse("orglife:meeting", args=[obj.pk])


class PlanCreateView(OrgForm):
    title = "制定周期计划"
    form_class = f.PlanForm
    success_message = "已按计划安排会议"

    def perform(self, org, form):
        d = form.cleaned_data
        return actions.do_plan_meetings(org, kind=d["kind"], topic=d["topic"], recurrence=d["recurrence"],
                                        first_starts_at=d["first_starts_at"], duration_minutes=d["duration_minutes"],
                                        occurrences=d["occurrences"], place=d["place"], actor=self.request.user)


def _roll(org):
    return Member.objects.filter(pk__in=participants.member_ids_on(org, timezone.localdate())).order_by("name")


class TalksView(OrgPage, TemplateView):
    template_name = "orglife/talks.html"

    def get_context_data(self, **kwargs):
        org = self.get_scoped_object()
        year = _year(self.request.GET.get("year"))
        talks = (HeartTalk.objects.restrict(self.request.user, self.perm).filter(org=org, held_on__year=year)
                 .select_related("initiator", "counterpart"))
        return super().get_context_data(org=org, year=year, talks=talks,
                                        coverage=queries.talk_coverage(org, year), **kwargs)


class TalkCreateView(OrgForm):
    title = "登记谈心谈话"
    back = "orglife:talks"
    success_message = "已登记谈心谈话"

    def get_form(self, target, data=None):
        return f.TalkForm(data, members=_roll(target))

    def perform(self, org, form):
        d = form.cleaned_data
        return appraisals.do_record_talk(org, held_on=d["held_on"], initiator=d["initiator"],
                                         counterpart=d["counterpart"], topic=d["topic"], follow_up=d["follow_up"],
                                         actor=self.request.user)



class AppraisalsView(OrgPage, TemplateView):
    template_name = "orglife/appraisals.html"

    def get_context_data(self, **kwargs):
        org = self.get_scoped_object()
        return super().get_context_data(
            org=org, appraisals=Appraisal.objects.restrict(self.request.user, self.perm).filter(org=org),
            follow_ups=FollowUpItem.objects.restrict(self.request.user, self.perm).filter(
                org__path__startswith=org.path).select_related("member"), **kwargs)


class AppraisalOpenView(OrgForm):
    title = "开启民主评议党员"
    form_class = f.AppraisalOpenForm
    success_message = "已开启民主评议，请登记自评、互评和民主测评情况"

    def perform(self, org, form):
        return appraisals.do_open_appraisal(org, year=form.cleaned_data["year"], actor=self.request.user)

    def get_success_url(self, obj):
        return reverse("orglife:appraisal", args=[obj.pk])


class ReviewsView(ScopedViewMixin, TemplateView):
    """Meeting records submitted by the organisations below, waiting for review."""

    template_name = "orglife/reviews.html"
    scoped_model = Meeting
    perm = roles.ORGLIFE_REVIEW

    def get_context_data(self, **kwargs):
        waiting = self.scoped().filter(state=MeetingState.SUBMITTED).select_related("org").order_by("submitted_at")
        return super().get_context_data(meetings=waiting[:500], **kwargs)


# -- one meeting -------------------------------------------------------------------------------------------------

class MeetingView(ScopedViewMixin, TemplateView):
    template_name = "orglife/meeting.html"
    scoped_model = Meeting
    perm = roles.ORGLIFE_VIEW

    def get_context_data(self, **kwargs):
        meeting = self.get_scoped_object()
        manage = self.can(roles.ORGLIFE_MANAGE, meeting)
        review = self.can(roles.ORGLIFE_REVIEW, meeting)
        rows = meeting.attendances.select_related("member", "checked_in_by").order_by("member__name")
        if not (manage or review):
            rows = rows.filter(member__user=self.request.user)
        counts = {p: 0 for p in Presence.values}
        for row in rows:
            counts[row.presence] += 1
        return super().get_context_data(
            meeting=meeting, rows=rows, counts=counts, can_manage=manage, can_review=review,
            votes=meeting.votes.all(), files=meeting.files.all(), held_states=HELD_STATES,
            is_general=MeetingKind.GENERAL_MEETING in meeting.kinds,
            extra_labels=[rules.KIND_LABELS[k] for k in meeting.also_counts_as], **kwargs)


class MeetingForm(OrgLifeForm):
    scoped_model = Meeting
    back = "orglife:meeting"

    def due_members(self, meeting):
        return Member.objects.filter(meeting_attendances__meeting=meeting).order_by("name")


class RecordView(MeetingForm):
    title = "登记会议记录"
    success_message = "已登记会议记录"

    def get_form(self, meeting, data=None):
        initial = {"topic": meeting.topic, "chair": meeting.chair_id, "recorder": meeting.recorder_id,
                   "minutes": meeting.minutes, "decisions": meeting.decisions, "study_hours": meeting.study_hours,
                   "version": meeting.version}
        return f.RecordForm(data, initial=initial, members=self.due_members(meeting))

    def perform(self, meeting, form):
        d = form.cleaned_data
        return actions.do_record_meeting(meeting, topic=d["topic"], chair=d["chair"], recorder=d["recorder"],
                                         minutes=d["minutes"], decisions=d["decisions"], study_hours=d["study_hours"],
                                         expected_version=d["version"], actor=self.request.user)


class LeaveView(MeetingForm):
    title = "登记请假"
    success_message = "已登记请假"

    def get_form(self, meeting, data=None):
        return f.LeaveForm(data, members=self.due_members(meeting))

    def perform(self, meeting, form):
        d = form.cleaned_data
        return actions.do_record_leave(meeting, member=d["member"], approved=d["approved"], reason=d["leave_reason"],
                                       actor=self.request.user)


class OnBehalfView(MeetingForm):
    title = "代为签到"
    success_message = "已代为签到（记录为代签到）"

    def get_form(self, meeting, data=None):
        return f.OnBehalfForm(data, members=self.due_members(meeting))

    def perform(self, meeting, form):
        return checkin.do_check_in_on_behalf(meeting, member=form.cleaned_data["member"], actor=self.request.user)


class VoteView(MeetingForm):
    title = "登记表决"
    form_class = f.VoteForm
    success_message = "已登记表决结果"

    def perform(self, meeting, form):
        d = form.cleaned_data
        return actions.do_record_vote(meeting, motion=d["motion"], yes=d["yes"], no=d["no"], abstain=d["abstain"],
                                      actor=self.request.user)


class RescheduleView(MeetingForm):
    title = "会议改期"
    success_message = "已改期，已通知应到人员"

    def get_form(self, meeting, data=None):
        initial = {"starts_at": timezone.localtime(meeting.starts_at), "ends_at": timezone.localtime(meeting.ends_at),
                   "place": meeting.place}
        return f.RescheduleForm(data, initial=initial)

    def perform(self, meeting, form):
        d = form.cleaned_data
        return actions.do_reschedule_meeting(meeting, starts_at=d["starts_at"], ends_at=d["ends_at"],
                                             place=d["place"], actor=self.request.user)


class CancelView(MeetingForm):
    title = "取消会议"
    form_class = f.ReasonForm
    success_message = "已取消会议"

    def perform(self, meeting, form):
        return actions.do_cancel_meeting(meeting, reason=form.cleaned_data["reason"], actor=self.request.user)


class ReturnView(MeetingForm):
    title = "退回会议记录"
    form_class = f.ReasonForm
    perm = roles.ORGLIFE_REVIEW
    success_message = "已退回，下级组织修改后可重新报送"

    def perform(self, meeting, form):
        return actions.do_return_meeting(meeting, reason=form.cleaned_data["reason"], actor=self.request.user)


class FileUploadView(MeetingForm):
    title = "上传附件或照片"
    form_class = f.FileForm
    success_message = "已上传"
    enctype = "multipart/form-data"

    def get_form(self, meeting, data=None):
        return f.FileForm(data, self.request.FILES if data is not None else None)

    def perform(self, meeting, form):
        return files.do_add_file(meeting, upload=form.cleaned_data["file"], kind=form.cleaned_data["kind"],
                                 actor=self.request.user)


class MeetingStep(ScopedViewMixin, View):
    """A button on the meeting page (POST only): one action, its message, back to the meeting."""

    scoped_model = Meeting
    http_method_names = ["post"]
    success_message = ""

    def run(self, meeting):
        raise NotImplementedError

    def post(self, request, pk):
        meeting = self.get_scoped_object()
        try:
            self.run(meeting)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, self.success_message)
        return redirect("orglife:meeting", pk=meeting.pk)


class SubmitView(MeetingStep):
    perm = roles.ORGLIFE_MANAGE
    success_message = "已报送上级党组织审核"

    def run(self, meeting):
        actions.do_submit_meeting(meeting, actor=self.request.user)


class ApproveView(MeetingStep):
    perm = roles.ORGLIFE_REVIEW
    success_message = "已审核通过"

    def run(self, meeting):
        actions.do_approve_meeting(meeting, actor=self.request.user)


class ResetCodeView(MeetingStep):
    perm = roles.ORGLIFE_MANAGE
    success_message = "已重置签到码，之前的二维码全部失效"

    def run(self, meeting):
        checkin.do_reset_checkin_code(meeting, actor=self.request.user)

    def post(self, request, pk):
        response = super().post(request, pk)
        return redirect("orglife:qr", pk=pk) if request.POST.get("next") == "qr" else response


class QrView(ScopedViewMixin, TemplateView):
    """The check-in screen shown at the meeting: the code refreshes itself every 30 seconds."""

    template_name = "orglife/qr.html"
    scoped_model = Meeting
    perm = roles.ORGLIFE_MANAGE

    def get_context_data(self, **kwargs):
        meeting = self.get_scoped_object()
        present = meeting.attendances.filter(presence=Presence.PRESENT).count()
        return super().get_context_data(meeting=meeting, present=present, due=meeting.attendances.count(),
                                        closed=checkin.window_refusal(meeting), **kwargs)


class QrCodeView(ScopedViewMixin, View):
    """The current code alone (htmx swaps it in when the 30-second window turns)."""

    scoped_model = Meeting
    perm = roles.ORGLIFE_MANAGE

    def get(self, request, pk):
        meeting = self.get_scoped_object()
        refusal = checkin.window_refusal(meeting)
        url = request.build_absolute_uri(reverse("orglife:checkin", args=[meeting.pk])) + \
            f"?t={checkin.make_token(meeting)}"
        size, path = (0, "") if refusal else checkin.qr_path(url)
        return render(request, "orglife/_qr_code.html", {
            "meeting": meeting, "size": size, "path": path, "url": url, "refusal": refusal,
            "seconds": checkin.seconds_left(meeting),
            "present": meeting.attendances.filter(presence=Presence.PRESENT).count()})


class CheckInView(ScopedViewMixin, View):
    """What the phone opens from the code: a confirmation page (GET changes nothing), then the check-in (POST)."""

    scoped_model = Meeting
    perm = roles.ORGLIFE_VIEW

    def _render(self, request, meeting, form, error="", done=None):
        return render(request, "orglife/checkin.html", {"meeting": meeting, "form": form, "error": error,
                                                        "done": done, "needs_location": bool(meeting.checkin_radius)})

    def get(self, request, pk):
        meeting = self.get_scoped_object()
        form = f.CheckInForm(initial={"token": request.GET.get("t", "")})
        mine = Attendance.objects.filter(meeting=meeting, member__user=request.user, presence=Presence.PRESENT).first()
        return self._render(request, meeting, form, done=mine)

    def post(self, request, pk):
        meeting = self.get_scoped_object()
        form = f.CheckInForm(request.POST)
        form.is_valid()
        d = form.cleaned_data
        try:
            row = checkin.do_check_in(meeting, token=d.get("token", ""), latitude=d.get("latitude"),
                                      longitude=d.get("longitude"), actor=request.user)
        except ValidationError as exc:
            return self._render(request, meeting, form, error="；".join(exc.messages))
        return self._render(request, meeting, form, done=row)


class FileView(ScopedViewMixin, View):
    """A meeting file, served from outside the web root to those who may see the meeting."""

    scoped_model = MeetingFile
    perm = roles.ORGLIFE_VIEW

    def get(self, request, pk):
        record = self.get_scoped_object()
        path = files.path_of(record)
        if not path.exists():
            raise Http404("文件不存在")
        inline = record.content_type.startswith("image/") or record.content_type == "application/pdf"
        response = FileResponse(path.open("rb"), content_type=record.content_type, as_attachment=not inline,
                                filename=record.name)
        response["X-Content-Type-Options"] = "nosniff"
        return response


# -- 民主评议 -------------------------------------------------------------------------------------------------------

class AppraisalView(ScopedViewMixin, TemplateView):
    template_name = "orglife/appraisal.html"
    scoped_model = Appraisal
    perm = roles.ORGLIFE_MANAGE

    def get_context_data(self, **kwargs):
        appraisal = self.get_scoped_object()
        entries = appraisal.entries.select_related("member").order_by("probationary", "member__name")
        graded = sum(1 for e in entries if not e.probationary)
        return super().get_context_data(appraisal=appraisal, entries=entries, graded=graded,
                                        limit=rules.excellent_limit(graded, timezone.localdate()), **kwargs)


class AppraisalForm(OrgLifeForm):
    scoped_model = Appraisal
    back = "orglife:appraisal"


class AssessView(AppraisalForm):
    title = "登记自评、互评和民主测评"
    success_message = "已登记"

    def get_form(self, appraisal, data=None):
        return f.AssessForm(data, entries=appraisal.entries.select_related("member").order_by("member__name"))

    def perform(self, appraisal, form):
        d = form.cleaned_data
        return appraisals.do_assess(d["entry"], self_assessment=d["self_assessment"],
                                    mutual_assessment=d["mutual_assessment"],
                                    votes={g: d[f"votes_{g}"] for g in ("excellent", "qualified",
                                                                        "basically_qualified", "unqualified")},
                                    actor=self.request.user)


class DecideView(AppraisalForm):
    title = "评定等次"
    success_message = "已评定等次"

    def get_form(self, appraisal, data=None):
        return f.DecideForm(data, entries=appraisal.entries.select_related("member").order_by("member__name"))

    def perform(self, appraisal, form):
        return appraisals.do_decide_appraisal(appraisal, grades=form.grades(),
                                              decided_on=form.cleaned_data["decided_on"], actor=self.request.user)


class FollowUpCloseView(OrgLifeForm):
    scoped_model = FollowUpItem
    title = "办结后续处置事项"
    form_class = f.CloseFollowUpForm
    success_message = "已办结"
    back, back_field = "orglife:appraisals", "org_id"

    def perform(self, item, form):
        return appraisals.do_close_follow_up(item, on=form.cleaned_data["closed_on"],
                                             note=form.cleaned_data["closing_note"], actor=self.request.user)


# -- members' own pages --------------------------------------------------------------------------------------------

class MineView(ScopedViewMixin, TemplateView):
    """My upcoming meetings, my attendance history, my study hours, my calendar feed (phone first)."""

    template_name = "orglife/mine.html"
    scoped_model = Meeting
    perm = roles.ORGLIFE_VIEW

    def get_context_data(self, **kwargs):
        member = participants.member_of_user(self.request.user)
        year = _year(self.request.GET.get("year"))
        from dangjian.alerts.models import InboxMessage

        context = {"member": member, "year": year, "feed": feed_for(self.request.user),
                   "notices": InboxMessage.objects.restrict(self.request.user).filter(task__isnull=True)[:10]}
        if member is not None:
            context["upcoming"] = queries.upcoming_for(member)
            context["history"] = (Attendance.objects.filter(member=member, meeting__starts_at__year=year,
                                                            meeting__state__in=HELD_STATES)
                                  .select_related("meeting", "meeting__org").order_by("-meeting__starts_at")[:200])
            context["summary"] = queries.member_year(member, year)
            context["follow_ups"] = FollowUpItem.objects.filter(member=member, closed_on__isnull=True)
            context["open_entries"] = AppraisalEntry.objects.filter(member=member, appraisal__state="open") \
                .select_related("appraisal")
        if context["feed"]:
            context["feed_url"] = self.request.build_absolute_uri(reverse("orglife:feed")) + \
                f"?token={context['feed'].token}"
        return super().get_context_data(**context, **kwargs)


class SelfAssessmentView(ScopedViewMixin, View):
    """A member submits their own self-assessment from their page (POST only; the entry must be their own)."""

    scoped_model = AppraisalEntry
    perm = roles.ORGLIFE_VIEW
    http_method_names = ["post"]

    def post(self, request):
        form = f.SelfAssessmentForm(request.POST)
        if not form.is_valid():
            messages.error(request, "请填写个人自评")
            return redirect("orglife:mine")
        entry = self.scoped().filter(pk=form.cleaned_data["entry"]).first()
        try:
            appraisals.do_submit_self_assessment(entry, text=form.cleaned_data["self_assessment"], actor=request.user)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, "已提交个人自评")
        return redirect("orglife:mine")


class FeedIssueView(ScopedViewMixin, View):
    scoped_model = Meeting
    perm = roles.ORGLIFE_VIEW
    http_method_names = ["post"]

    def post(self, request):
        from .calendar_feed import do_issue_feed

        do_issue_feed(request.user)
        messages.success(request, "已生成新的日历订阅地址，旧地址已停用")
        return redirect("orglife:mine")


class FeedRevokeView(FeedIssueView):
    def post(self, request):
        from .calendar_feed import do_revoke_feed

        do_revoke_feed(request.user)
        messages.success(request, "已停用日历订阅地址")
        return redirect("orglife:mine")


class FeedView(ScopeExemptMixin, View):
    """The ICS feed: the token in the address is the credential; it shows only its owner's own meetings."""

    scope_exempt = "the calendar feed of the token's owner, read through Meeting.objects.restrict(owner)"

    def get(self, request):
        user = feed_user(request.GET.get("token", ""))
        if user is None:
            raise Http404("日历订阅地址无效或已停用")
        response = HttpResponse(calendar_text(user), content_type="text/calendar; charset=utf-8")
        response["Content-Disposition"] = 'inline; filename="orglife.ics"'
        return response
