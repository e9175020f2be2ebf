from django.urls import path

from . import views

urlpatterns = [
    path("", views.ListView.as_view(), name="list"),
    path("me/", views.MyRecordView.as_view(), name="me"),
    path("new/", views.CreateView.as_view(), name="create"),
    path("<int:pk>/", views.DetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", views.EditView.as_view(), name="edit"),
    path("<int:pk>/status/", views.StatusView.as_view(), name="status"),
    path("<int:pk>/reveal/", views.RevealView.as_view(), name="reveal"),
    path("<int:pk>/transfer/", views.TransferApplyView.as_view(), name="transfer"),
    path("<int:pk>/letter/", views.LetterIssueView.as_view(), name="letter"),
    path("transfers/", views.TransferListView.as_view(), name="transfers"),
    path("transfers/letter.docx", views.LetterDownloadView.as_view(), name="letter_docx"),
    path("transfers/incoming/", views.IncomingLetterView.as_view(), name="incoming_letter"),
]

from . import lifecycle_views  # noqa: E402  member lifecycle: status changes, discipline, mobile members

urlpatterns += [
    path("<int:pk>/lifecycle/", lifecycle_views.MemberLifecycleView.as_view(), name="lifecycle_member"),
    path("<int:pk>/absence/", lifecycle_views.AbsenceView.as_view(), name="absence"),
    path("<int:pk>/absence/end/", lifecycle_views.AbsenceEndView.as_view(), name="absence_end"),
    path("<int:pk>/contact/", lifecycle_views.ContactView.as_view(), name="contact"),
    path("<int:pk>/propose/", lifecycle_views.ProposeView.as_view(), name="propose"),
    path("<int:pk>/death/", lifecycle_views.DeathView.as_view(), name="death"),
    path("<int:pk>/discipline/", lifecycle_views.DisciplineCreateView.as_view(), name="discipline_create"),
    path("<int:pk>/mobile/", lifecycle_views.OutflowView.as_view(), name="outflow"),
    path("lifecycle/", lifecycle_views.LifecycleListView.as_view(), name="lifecycle"),
    path("discipline/", lifecycle_views.DisciplineListView.as_view(), name="discipline"),
    path("discipline/<int:pk>/reveal/", lifecycle_views.DisciplineRevealView.as_view(), name="discipline_reveal"),
    path("mobile/", lifecycle_views.MobileListView.as_view(), name="mobile"),
    path("mobile/<int:pk>/certificate/", lifecycle_views.CertificateView.as_view(), name="mobile_certificate"),
]
