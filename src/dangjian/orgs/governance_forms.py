"""Forms of the committee, election and setup pages. The regulation checks live in the actions, not here."""

from django import forms

from dangjian.core.forms import BootstrapForm, DateInput

from .models import CommitteeMember, Election, GroupMembership, JointBranchUnit, Position

PICK = {"invalid_choice": "所选对象不存在或不在您的管理范围内", "required": "请选择"}


def _member_label(m):
    return f"{m.name}（{m.org.short_name or m.org.name}）"


class TermForm(BootstrapForm):
    started_on = forms.DateField(label="本届开始日期（选举日期）", widget=DateInput)
    seats = forms.IntegerField(label="委员职数", min_value=0, max_value=99, initial=0,
                               help_text="不设委员会（只设书记、副书记）的党支部填 0")
    village_or_community = forms.BooleanField(label="村、社区党组织（任期 5 年）", required=False)
    number = forms.IntegerField(label="届次", min_value=1, required=False, help_text="留空则按上一届顺延")
    schedule_note = forms.CharField(label="提前或延期换届的批准情况", max_length=200, required=False)


class HolderForm(BootstrapForm):
    member = forms.ModelChoiceField(label="党员", queryset=None, error_messages=PICK)
    position = forms.ChoiceField(label="职务", choices=Position.choices)
    started_on = forms.DateField(label="任职日期", widget=DateInput)
    source = forms.ChoiceField(label="产生方式", choices=[(CommitteeMember.Source.RECORDED, "补录（系统启用前已任职）"),
                                                      (CommitteeMember.Source.APPOINTED, "上级党组织任命")])

    def __init__(self, *args, members=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = members
        self.fields["member"].label_from_instance = _member_label


class HolderEndForm(BootstrapForm):
    holder = forms.ModelChoiceField(label="委员会成员", queryset=CommitteeMember.objects.none(), error_messages=PICK)
    ended_on = forms.DateField(label="离任日期", widget=DateInput)
    end_reason = forms.CharField(label="离任原因", max_length=200)

    def __init__(self, *args, holders=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["holder"].queryset = holders


class ElectionForm(BootstrapForm):
    kind = forms.ChoiceField(label="选举类型", choices=Election.Kind.choices)
    held_on = forms.DateField(label="选举日期（党员大会日期）", widget=DateInput)
    seats = forms.IntegerField(label="应选委员人数", min_value=0, max_value=99, initial=3,
                               help_text="不设委员会的党支部填 0，只选举书记；补选填缺额人数")
    deputy_seats = forms.IntegerField(label="应选副书记人数", min_value=0, max_value=9, initial=0)
    elect_secretary = forms.BooleanField(label="选举书记", required=False, initial=True)
    village_or_community = forms.BooleanField(label="村、社区党组织（任期 5 年）", required=False)
    schedule_note = forms.CharField(label="提前或延期换届的批准情况", max_length=200, required=False,
                                    help_text="不按期换届时填写上级党组织的批复文号和日期")


class CandidatesForm(BootstrapForm):
    members = forms.ModelMultipleChoiceField(label="委员候选人", queryset=None, required=False,
                                             widget=forms.CheckboxSelectMultiple, error_messages=PICK)
    secretary = forms.ModelChoiceField(label="书记候选人", queryset=None, required=False, error_messages=PICK)
    deputies = forms.ModelMultipleChoiceField(label="副书记候选人", queryset=None, required=False, error_messages=PICK)

    def __init__(self, *args, electorate=None, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("members", "secretary", "deputies"):
            self.fields[name].queryset = electorate
            self.fields[name].label_from_instance = _member_label
        self.fields["members"].widget.attrs["class"] = "form-check-input"

    def candidates(self) -> list[dict]:
        data = self.cleaned_data
        rows = [{"member": m, "position": Position.MEMBER} for m in data["members"]]
        if data.get("secretary"):
            rows.append({"member": data["secretary"], "position": Position.SECRETARY})
        rows += [{"member": m, "position": Position.DEPUTY_SECRETARY} for m in data["deputies"]]
        return rows


class ResultForm(BootstrapForm):
    present_count = forms.IntegerField(label="实到会有选举权的党员人数", min_value=0)
    committee_present = forms.IntegerField(label="选举书记、副书记时到会委员人数", min_value=0, required=False,
                                           help_text="设委员会的，书记、副书记由新一届委员会选举；不设委员会的留空")

    def __init__(self, *args, candidates=(), **kwargs):
        super().__init__(*args, **kwargs)
        for cand in candidates:
            self.fields[f"votes_{cand.pk}"] = forms.IntegerField(
                label=f"{cand.member.name}（{cand.get_position_display()}）得票", min_value=0)
        for field in self.fields.values():
            field.widget.attrs.setdefault("class", "form-control")

    def votes(self) -> dict[int, int]:
        return {int(k.removeprefix("votes_")): v for k, v in self.cleaned_data.items() if k.startswith("votes_")}


class ApproveForm(BootstrapForm):
    approved_on = forms.DateField(label="批准日期", widget=DateInput)
    approval_document = forms.CharField(label="批复文号", max_length=100, required=False)


class FileForm(BootstrapForm):
    filed_on = forms.DateField(label="报上级党组织备案日期", widget=DateInput)


class GroupMemberForm(BootstrapForm):
    member = forms.ModelChoiceField(label="党员", queryset=None, error_messages=PICK)
    started_on = forms.DateField(label="编入日期", widget=DateInput)
    is_leader = forms.BooleanField(label="担任党小组长", required=False)

    def __init__(self, *args, members=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = members
        self.fields["member"].label_from_instance = _member_label


class GroupMemberEndForm(BootstrapForm):
    placement = forms.ModelChoiceField(label="党小组成员", queryset=GroupMembership.objects.none(), error_messages=PICK)
    ended_on = forms.DateField(label="调出日期", widget=DateInput)

    def __init__(self, *args, placements=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["placement"].queryset = placements
        self.fields["placement"].label_from_instance = lambda p: p.member.name


class UnitForm(BootstrapForm):
    name = forms.CharField(label="单位名称", max_length=100)
    added_on = forms.DateField(label="纳入日期", widget=DateInput)


class UnitRemoveForm(BootstrapForm):
    unit = forms.ModelChoiceField(label="覆盖单位", queryset=JointBranchUnit.objects.none(), error_messages=PICK)
    removed_on = forms.DateField(label="移出日期", widget=DateInput)

    def __init__(self, *args, units=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units
        self.fields["unit"].label_from_instance = lambda u: u.name
