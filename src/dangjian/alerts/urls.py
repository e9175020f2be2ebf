from django.urls import path

from . import views

urlpatterns = [
    path("", views.TasksView.as_view(), name="tasks"),
    path("inbox/read/", views.InboxReadView.as_view(), name="inbox_read"),
    path("board/", views.BoardView.as_view(), name="board_home"),
    path("rules/", views.RulesView.as_view(), name="rules"),
    path("evaluations/", views.EvaluationsView.as_view(), name="evaluations"),
    path("orgs/<int:pk>/", views.BoardView.as_view(), name="board"),
    path("findings/<int:pk>/", views.FindingView.as_view(), name="finding"),
    path("tasks/<int:pk>/", views.TaskView.as_view(), name="task"),
    path("tasks/<int:pk>/acknowledge/", views.AcknowledgeView.as_view(), name="acknowledge"),
    path("tasks/<int:pk>/rectify/", views.RectifyView.as_view(), name="rectify"),
    path("tasks/<int:pk>/verify/", views.VerifyView.as_view(), name="verify"),
]
