"""Forms of the 多機関協働 pages. Explicit fields; Japanese labels and messages."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.db.models import QuerySet

from areas.models import Agency, Membership
from meetings.models import Meeting
from tsumugi.lib.forms import JapaneseDateField

from .models import AssessmentItem, Goal, GoalEvaluation, Plan, PlanDecision, Project, Status

TEXT_MAX = settings.TEXT_FIELD_MAX_CHARS


def date_field(label: str, required: bool = True) -> JapaneseDateField:
    # The one date field: 西暦・和暦・全角, refusing dates outside 1900–2100 in Japanese.
    return JapaneseDateField(label=label, required=required)


def _helper(label: str) -> FormHelper:
    helper = FormHelper()
    helper.add_input(Submit("submit", label))
    return helper


class SupportDecisionForm(forms.Form):
    reason = forms.CharField(
        label="支援決定の理由",
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="複合的な課題があり、複数の機関で支える必要がある理由など。",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper("多機関協働の支援決定をする")


class AssessmentForm(forms.Form):
    """One checkbox and one note per active item; the template groups them by 区分."""

    def __init__(self, *args: Any, items: list[AssessmentItem], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.items = items
        for item in items:
            self.fields[f"item_{item.pk}"] = forms.BooleanField(label=item.label, required=False)
            self.fields[f"note_{item.pk}"] = forms.CharField(
                label=f"{item.label}（所見）",
                required=False,
                max_length=TEXT_MAX,
                widget=forms.Textarea(attrs={"rows": 1}),
            )

    def answers(self) -> dict[int, tuple[bool, str]]:
        data = self.cleaned_data
        return {i.pk: (bool(data[f"item_{i.pk}"]), data[f"note_{i.pk}"] or "") for i in self.items}

    def grouped(self) -> list[tuple[str, list[tuple[AssessmentItem, Any, Any]]]]:
        groups: dict[str, list[tuple[AssessmentItem, Any, Any]]] = {}
        for item in self.items:
            groups.setdefault(item.group.name, []).append(
                (item, self[f"item_{item.pk}"], self[f"note_{item.pk}"])
            )
        return list(groups.items())


# django-stubs types a ModelForm by its model; Django's class takes no subscript at run time.
if TYPE_CHECKING:
    PlanModelForm = forms.ModelForm[Plan]
else:
    PlanModelForm = forms.ModelForm


class PlanForm(PlanModelForm):
    period_start = date_field("支援期間（開始）")
    period_end = date_field("支援期間（終了）")
    review_date = date_field("次回の見直し日")

    class Meta:
        model = Plan
        fields = ["wish", "period_start", "period_end", "review_date"]
        widgets = {"wish": forms.Textarea(attrs={"rows": 3})}
        help_texts = {"wish": "本人の言葉で。どんな暮らしを望んでいるか。"}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["wish"].required = True
        self.fields["wish"].validators.append(MaxLengthValidator(TEXT_MAX))
        self.helper = _helper("保存する")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("period_start"), data.get("period_end")
        if start and end and end < start:
            self.add_error("period_end", "支援期間の終了は開始より後の日にしてください。")
        return data

    def values(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class GoalForm(forms.Form):
    term = forms.ChoiceField(label="目標の種類", choices=Goal.Term.choices)
    text = forms.CharField(
        label="目標", max_length=TEXT_MAX, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper("目標を加える")


class TaskForm(forms.Form):
    agency = forms.ModelChoiceField(label="機関", queryset=Agency.objects.none())
    membership = forms.ModelChoiceField(
        label="担当者（任意）", queryset=Membership.objects.none(), required=False
    )
    task = forms.CharField(
        label="行うこと", max_length=TEXT_MAX, widget=forms.Textarea(attrs={"rows": 2})
    )
    due_date = date_field("いつまでに", required=False)
    project = forms.ChoiceField(
        label="事業",
        choices=Project.choices,
        initial=Project.MULTI_AGENCY,
        required=False,
        help_text="実績の集計で、この支援をどの事業に数えるか（選ばなければ多機関協働）",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        agency_field = self.fields["agency"]
        member_field = self.fields["membership"]
        assert isinstance(agency_field, forms.ModelChoiceField)
        assert isinstance(member_field, forms.ModelChoiceField)
        agency_field.queryset = Agency.objects.active()
        member_field.queryset = Membership.objects.active().select_related("user", "agency")
        self.helper = _helper("役割分担を加える")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        member, agency = data.get("membership"), data.get("agency")
        if member is not None and agency is not None and member.agency_id != agency.pk:
            self.add_error("membership", "担当者はその機関の職員から選んでください。")
        data["project"] = data.get("project") or Project.MULTI_AGENCY
        return data


class EvaluationForm(forms.Form):
    result = forms.ChoiceField(
        label="評価", choices=GoalEvaluation.Result.choices, widget=forms.RadioSelect
    )
    comment = forms.CharField(
        label="コメント",
        required=False,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class AgendaForm(forms.Form):
    meeting = forms.ModelChoiceField(label="重層的支援会議", queryset=Meeting.objects.none())

    def __init__(self, *args: Any, meetings: QuerySet[Meeting], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["meeting"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = meetings
        self.helper = _helper("この会議の議題にする")


END_OUTCOMES = [(Status.CLOSED.value, "終結"), (Status.SUSPENDED.value, "中断")]


class DecisionForm(forms.Form):
    kind = forms.ChoiceField(label="会議の判断", choices=PlanDecision.Kind.choices)
    outcome = forms.ChoiceField(
        label="終結・中断（終結・中断の判断のとき）",
        choices=[("", "—"), *END_OUTCOMES],
        required=False,
    )
    note = forms.CharField(
        label="協議の内容・理由",
        required=False,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("kind") == PlanDecision.Kind.END and not data.get("outcome"):
            self.add_error("outcome", "終結か中断かを選んでください。")
        return data
