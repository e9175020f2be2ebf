from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from dangjian.accounts.api.views import TokenView
from dangjian.alerts.api.views import (EvaluationViewSet, FindingViewSet, RectificationTaskViewSet,
                                       WarningRuleViewSet)
from dangjian.analytics.api import RefreshRunViewSet
from dangjian.cockpit.api.views import CockpitViewSet
from dangjian.core.rule_settings_api import RuleSettingViewSet
from dangjian.dues.api.views import DuesCalculateView
from dangjian.exchange.api.views import ImportJobViewSet
from dangjian.exchange.statistics.api import AnnualStatisticsView
from dangjian.members.api.transfers import IncomingLetterViewSet, TransferLetterViewSet, TransferViewSet
from dangjian.members.api.views import MemberViewSet
from dangjian.orgs.api import governance as gov_api
from dangjian.orgs.api.views import OrganizationViewSet
from dangjian.orglife.api import views as orglife_api
from dangjian.recruitment.api.views import CandidateViewSet, HolidayViewSet, ThoughtReportViewSet

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("organizations", OrganizationViewSet, basename="organization")
router.register("members", MemberViewSet, basename="member")
router.register("imports", ImportJobViewSet, basename="import")
router.register("transfers", TransferViewSet, basename="transfer")
router.register("transfer-letters", TransferLetterViewSet, basename="transfer-letter")
router.register("incoming-letters", IncomingLetterViewSet, basename="incoming-letter")
# Committees, terms and elections (换届); organisation setup (组织设置)
router.register("terms", gov_api.TermViewSet, basename="term")
router.register("committee-members", gov_api.CommitteeMemberViewSet, basename="committee-member")
router.register("elections", gov_api.ElectionViewSet, basename="election")
router.register("group-memberships", gov_api.GroupMembershipViewSet, basename="group-membership")
router.register("joint-branch-units", gov_api.JointBranchUnitViewSet, basename="joint-branch-unit")
router.register("setup-findings", gov_api.SetupFindingViewSet, basename="setup-finding")
# Early warnings (亮灯预警) and rectification (督办)
router.register("findings", FindingViewSet, basename="finding")
router.register("rectification-tasks", RectificationTaskViewSet, basename="rectification-task")
router.register("warning-rules", WarningRuleViewSet, basename="warning-rule")
router.register("evaluations", EvaluationViewSet, basename="evaluation")
# The local and unverified regulation values (system administrator)
router.register("rule-settings", RuleSettingViewSet, basename="rule-setting")
# Organisational life (组织生活)
router.register("meetings", orglife_api.MeetingViewSet, basename="meeting")
router.register("appraisals", orglife_api.AppraisalViewSet, basename="appraisal")
router.register("heart-talks", orglife_api.HeartTalkViewSet, basename="heart-talk")
router.register("follow-ups", orglife_api.FollowUpViewSet, basename="follow-up")
router.register("orglife-compliance", orglife_api.ComplianceViewSet, basename="orglife-compliance")
# Recruitment (发展党员)
router.register("recruitment-candidates", CandidateViewSet, basename="recruitment-candidate")
router.register("recruitment-holidays", HolidayViewSet, basename="recruitment-holiday")
router.register("recruitment-thought-reports", ThoughtReportViewSet, basename="recruitment-thought-report")
# The cockpit (数字驾驶舱)
router.register("cockpit/orgs", CockpitViewSet, basename="cockpit")
router.register("analytics/refresh-runs", RefreshRunViewSet, basename="analytics-refresh-run")


class SchemaView(SpectacularAPIView):
    scope_exempt = "the OpenAPI description; no data"


class DocsView(SpectacularSwaggerSplitView):
    scope_exempt = "offline Swagger UI; no data"


urlpatterns = [
    path("auth/token/", TokenView.as_view(), name="api-token"),
    path("dues/calculate", DuesCalculateView.as_view(), name="api-dues-calculate"),
    path("schema/", SchemaView.as_view(), name="api-schema"),
    path("docs/", DocsView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include(router.urls)),
]
urlpatterns += [path("", include("dangjian.members.api.lifecycle_urls"))]  # member lifecycle
urlpatterns += [path("statistics/annual", AnnualStatisticsView.as_view(), name="api-statistics-annual")]  # 党内统计年报
