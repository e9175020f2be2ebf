from django.urls import path

from . import views

urlpatterns = [
    path("refresh/", views.RefreshRunsView.as_view(), name="refresh"),
    path("members/<int:pk>/vitality/", views.MemberVitalityView.as_view(), name="member_vitality"),
]
