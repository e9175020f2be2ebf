from django.urls import path

from . import views

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("healthz", views.HealthView.as_view(), name="healthz"),
    path("audit/", views.AuditLogView.as_view(), name="audit"),
    path("audit/verify/", views.AuditVerifyView.as_view(), name="audit_verify"),
    path("settings/rules/", views.RuleSettingsView.as_view(), name="rule_settings"),
    path("settings/rules/<str:name>/", views.RuleSettingView.as_view(), name="rule_setting"),
]
