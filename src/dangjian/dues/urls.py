from django.urls import path

from . import views

urlpatterns = [
    path("", views.SheetView.as_view(), name="sheet"),
    path("calculator/", views.CalculatorView.as_view(), name="calculator"),
    path("standard/", views.StandardView.as_view(), name="standard"),
    path("relief/", views.ReliefView.as_view(), name="relief"),
    path("me/", views.MyDuesView.as_view(), name="mine"),
    path("report.xlsx", views.ReportView.as_view(), name="report"),
    path("pay/fake/", views.FakeCheckoutView.as_view(), name="fake_checkout"),
    path("pay/callback/", views.PaymentCallbackView.as_view(), name="payment_callback"),
]
