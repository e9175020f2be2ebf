from django.urls import path

from . import views

urlpatterns = [
    path("", views.ImportListView.as_view(), name="list"),
    path("template/members.xlsx", views.TemplateDownloadView.as_view(), {"kind": "members"}, name="template_members"),
    path("template/orgs.xlsx", views.TemplateDownloadView.as_view(), {"kind": "orgs"}, name="template_orgs"),
    path("<int:pk>/", views.ImportDetailView.as_view(), name="detail"),
    path("<int:pk>/commit/", views.ImportCommitView.as_view(), name="commit"),
    path("<int:pk>/cancel/", views.ImportCancelView.as_view(), name="cancel"),
    path("<int:pk>/errors.xlsx", views.ImportErrorsView.as_view(), name="errors"),
]
