from django.urls import path

from . import export_views

app_name = "export"

urlpatterns = [
    path("members/", export_views.MemberExportView.as_view(), name="members"),
    path("orgs/<int:pk>/", export_views.OrgExportView.as_view(), name="orgs"),
]
