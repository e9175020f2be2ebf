"""Routes of the member lifecycle API, mounted under /api/v1/."""

from rest_framework.routers import DefaultRouter

from . import lifecycle

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("status-proposals", lifecycle.StatusProposalViewSet, basename="status-proposal")
router.register("member-absences", lifecycle.AbsenceViewSet, basename="member-absence")
router.register("member-contacts", lifecycle.MemberContactViewSet, basename="member-contact")
router.register("member-deaths", lifecycle.MemberDeathViewSet, basename="member-death")
router.register("disciplinary-actions", lifecycle.DisciplinaryActionViewSet, basename="disciplinary-action")
router.register("mobile-records", lifecycle.MobileRecordViewSet, basename="mobile-record")

urlpatterns = router.urls
