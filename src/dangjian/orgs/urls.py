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

# Committees, terms and elections (换届); organisation setup (组织设置)
from . import governance_views as gv  # noqa: E402

urlpatterns += [
    path("<int:pk>/committee/", gv.CommitteeView.as_view(), name="committee"),
    path("<int:pk>/committee/term/", gv.TermCreateView.as_view(), name="term_create"),
    path("<int:pk>/committee/holders/new/", gv.HolderCreateView.as_view(), name="holder_create"),
    path("<int:pk>/committee/holders/end/", gv.HolderEndView.as_view(), name="holder_end"),
    path("<int:pk>/elections/new/", gv.ElectionCreateView.as_view(), name="election_create"),
    path("<int:pk>/terms/", gv.TermsView.as_view(), name="terms"),
    path("<int:pk>/setup/", gv.SetupView.as_view(), name="setup"),
    path("<int:pk>/group-members/new/", gv.GroupMemberAddView.as_view(), name="group_member_add"),
    path("<int:pk>/group-members/end/", gv.GroupMemberEndView.as_view(), name="group_member_end"),
    path("<int:pk>/units/new/", gv.UnitAddView.as_view(), name="unit_add"),
    path("<int:pk>/units/remove/", gv.UnitRemoveView.as_view(), name="unit_remove"),
    path("elections/<int:pk>/", gv.ElectionDetailView.as_view(), name="election"),
    path("elections/<int:pk>/candidates/", gv.CandidatesView.as_view(), name="election_candidates"),
    path("elections/<int:pk>/result/", gv.ResultView.as_view(), name="election_result"),
    path("elections/<int:pk>/approve/", gv.ApproveView.as_view(), name="election_approve"),
    path("elections/<int:pk>/file/", gv.FileView.as_view(), name="election_file"),
]
