from django.urls import path

from . import views

urlpatterns = [
    path("", views.StatisticsView.as_view(), name="annual"),
    path("annual.xlsx", views.StatisticsDownloadView.as_view(), name="annual_xlsx"),
]
