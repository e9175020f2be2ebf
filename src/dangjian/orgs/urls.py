from django.urls import path

from . import views

urlpatterns = [
    path("", views.TreeView.as_view(), name="tree"),
    path("<int:pk>/", views.DetailView.as_view(), name="detail"),
    path("<int:pk>/children/", views.ChildrenView.as_view(), name="children"),
    path("<int:pk>/children/new/", views.CreateView.as_view(), name="create"),
    path("<int:pk>/edit/", views.EditView.as_view(), name="edit"),
    path("<int:pk>/move/", views.MoveView.as_view(), name="move"),
    path("<int:pk>/dissolve/", views.DissolveView.as_view(), name="dissolve"),
    path("<int:pk>/merge/", views.MergeView.as_view(), name="merge"),
    path("<int:pk>/as-of/", views.AsOfView.as_view(), name="as_of"),
]
