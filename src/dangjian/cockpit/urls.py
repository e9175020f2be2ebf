from django.urls import path

from . import views

urlpatterns = [
    path("", views.CockpitView.as_view(), name="home"),
    path("phone/", views.PhoneView.as_view(), name="phone_home"),
    path("orgs/<int:pk>/", views.CockpitView.as_view(), name="screen"),
    path("orgs/<int:pk>/phone/", views.PhoneView.as_view(), name="phone"),
]
