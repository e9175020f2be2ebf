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
