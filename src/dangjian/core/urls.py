from django.urls import path

from . import views

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("healthz", views.HealthView.as_view(), name="healthz"),
    path("audit/", views.AuditLogView.as_view(), name="audit"),
    path("audit/verify/", views.AuditVerifyView.as_view(), name="audit_verify"),
]
