from django.urls import path

from . import views

urlpatterns = [
    path("", views.BoardView.as_view(), name="board"),
    path("apply/", views.ApplyView.as_view(), name="apply"),
    path("transferred-in/", views.TransferredInView.as_view(), name="transferred_in"),
    path("<int:pk>/", views.CandidateView.as_view(), name="candidate"),
    path("<int:pk>/step/", views.StepView.as_view(), name="step"),
    path("<int:pk>/document/", views.DocumentView.as_view(), name="document"),
    path("<int:pk>/move/", views.MoveView.as_view(), name="move"),
    path("<int:pk>/thought-reports/", views.ThoughtReportAddView.as_view(), name="thought_report_add"),
    path("thought-reports/<int:pk>/review/", views.ThoughtReportReviewView.as_view(), name="thought_report_review"),
    path("thought-reports/<int:pk>/file/", views.ThoughtReportFileView.as_view(), name="thought_report_file"),
    path("templates/", views.TemplatesView.as_view(), name="templates"),
    path("templates/builtin/", views.BuiltinTemplateView.as_view(), name="builtin_template"),
    path("holidays/", views.HolidaysView.as_view(), name="holidays"),
    path("holidays/delete/", views.HolidayDeleteView.as_view(), name="holiday_delete"),
]
