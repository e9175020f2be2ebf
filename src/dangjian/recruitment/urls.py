from django.urls import path

from . import views

urlpatterns = [
    path("", views.BoardView.as_view(), name="board"),
    path("apply/", views.ApplyView.as_view(), name="apply"),
    path("transferred-in/", views.TransferredInView.as_view(), name="transferred_in"),
    path("<int:pk>/", views.CandidateView.as_view(), name="candidate"),
    path("<int:pk>/step/", views.StepView.as_view(), name="step"),
    path("<int:pk>/document/", views.DocumentView.as_view(), name="document"),
    path("templates/", views.TemplatesView.as_view(), name="templates"),
    path("templates/builtin/", views.BuiltinTemplateView.as_view(), name="builtin_template"),
    path("holidays/", views.HolidaysView.as_view(), name="holidays"),
    path("holidays/delete/", views.HolidayDeleteView.as_view(), name="holiday_delete"),
]
