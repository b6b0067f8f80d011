"""Forms of the meeting pages. Layouts live here (crispy); fields are explicit."""

from __future__ import annotations

from typing import Any

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Layout, Submit
from django import forms
from django.conf import settings
from django.db.models import Q, QuerySet

from areas.forms import japanese_blank_choices
from areas.models import Agency, Body, Membership, display_name
from cases.forms import identities, refuse_identifying_text
from cases.models import Case
from sheets.models import Sheet
from tenancy.forms import TenantModelForm
from tsumugi.lib.forms import JapaneseDateField, JapaneseTimeField

from .masking import Masker
from .models import AgendaItem, Attendance, Meeting

TEXT_MAX = settings.TEXT_FIELD_MAX_CHARS


def guard_masked_item(
    form: forms.BaseForm, masker: Masker, item: AgendaItem, names: list[str]
) -> None:
    """Text on an item whose case is masked in this meeting is read by people its basis does
    not name: refuse names, readings, birth years, phones and addresses (issue 9, point 4)."""
    if item.case is not None and masker.masks(item.case):
        refuse_identifying_text(form, names, identities(item.case))


def _model_choices(form: forms.BaseForm, name: str) -> forms.ModelChoiceField[Any]:
    field = form.fields[name]
    assert isinstance(field, forms.ModelChoiceField)
    return field


def _helper(*fields: str, submit: str = "保存する", form_tag: bool = True) -> FormHelper:
    helper = FormHelper()
    helper.form_tag = form_tag
    helper.layout = Layout(*fields, Submit("submit", submit, css_class="btn-primary"))
    return helper


class MemberChoiceField(forms.ModelChoiceField[Membership]):
    def label_from_instance(self, obj: Membership) -> str:
        return f"{display_name(obj.user)}（{obj.agency.name}）"


class MeetingForm(forms.ModelForm[Meeting]):
    date = JapaneseDateField(label="開催日")
    start_time = JapaneseTimeField(label="開始時刻")
    chair = MemberChoiceField(
        Membership.objects.none(),
        label="司会",
        required=False,
        help_text="会議体の構成員から選びます。",
    )

    class Meta:
        model = Meeting
        fields = ["body", "title", "date", "start_time", "place", "chair"]

    def __init__(self, *args: Any, bodies: QuerySet[Body], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        japanese_blank_choices(self)
        _model_choices(self, "body").queryset = bodies
        if self.instance.pk:
            self.fields["body"].disabled = True
        _model_choices(self, "chair").queryset = (
            Membership.objects.active()
            .filter(roster_entries__body__in=bodies)
            .select_related("user", "agency")
            .distinct()
        )
        self.helper = _helper("body", "title", "date", "start_time", "place", "chair")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        body, chair = data.get("body"), data.get("chair")
        if body and chair and not chair.roster_entries.filter(body=body).exists():
            self.add_error("chair", "司会はこの会議体の構成員から選んでください。")
        return data


class ItemAddForm(forms.Form):
    kind = forms.ChoiceField(label="種類", choices=AgendaItem.Kind.choices, initial="theme")
    theme = forms.CharField(label="テーマ", max_length=200, required=False)
    number = forms.CharField(
        label="相談番号またはシート番号",
        max_length=30,
        required=False,
        help_text="例: 2026-00012 または 2026-00012-01",
    )
    support = forms.ChoiceField(label="支援の種類", choices=AgendaItem.Support.choices)
    minutes = forms.IntegerField(label="時間（分）", min_value=1, max_value=240, initial=10)

    def __init__(self, *args: Any, meeting: Meeting, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        japanese_blank_choices(self)
        self.meeting, self.user = meeting, user
        self.target: dict[str, Any] = {}
        self.helper = _helper("kind", "theme", "number", "support", "minutes", submit="議題に追加")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind, number = data.get("kind"), (data.get("number") or "").strip()
        if kind == AgendaItem.Kind.THEME:
            if not (data.get("theme") or "").strip():
                self.add_error("theme", "テーマを書いてください。")
            self.target = {"theme": (data.get("theme") or "").strip()}
        elif kind in (AgendaItem.Kind.CASE, AgendaItem.Kind.SHEET):
            self.target = self._find(kind, number)
        return data

    def _find(self, kind: str, number: str) -> dict[str, Any]:
        if not number:
            self.add_error("number", "番号を入力してください。")
            return {}
        district = self.meeting.district
        if kind == AgendaItem.Kind.CASE:
            cases = Case.objects.visible_to(self.user)
            if district is not None:
                cases = cases.filter(district=district)
            case = cases.filter(number=number).first()
            if case is None:
                self.add_error("number", "この会議の地区で見られる相談に、その番号はありません。")
                return {}
            return {"case": case}
        sheets = Sheet.objects.visible_to(self.user).select_related("case")
        if district is not None:
            sheets = sheets.filter(case__district=district)
        sheet = sheets.filter(number=number).first()
        if sheet is None:
            self.add_error("number", "この会議の地区で見られるシートに、その番号はありません。")
            return {}
        return {"sheet": sheet, "case": sheet.case}


class ItemForm(forms.ModelForm[AgendaItem]):
    presenter = MemberChoiceField(Membership.objects.none(), label="報告者", required=False)

    class Meta:
        model = AgendaItem
        fields = ["theme", "support", "presenter", "minutes", "needed_agencies", "order"]
        widgets = {"needed_agencies": forms.CheckboxSelectMultiple}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        japanese_blank_choices(self)
        meeting = self.instance.meeting
        _model_choices(self, "presenter").queryset = meeting.roster_memberships().select_related(
            "user", "agency"
        )
        _model_choices(self, "needed_agencies").queryset = Agency.objects.active()
        self.fields["minutes"].widget.attrs.update(min=1, max=240)
        fields = ["support", "presenter", "minutes", "needed_agencies", "order"]
        if self.instance.kind == AgendaItem.Kind.THEME:
            fields.insert(0, "theme")
            self.fields["theme"].required = True
        else:
            del self.fields["theme"]
        self.helper = _helper(*fields)

    def clean(self) -> dict[str, Any]:
        super().clean()
        if "theme" in self.fields and not self.instance.meeting.body.is_confidential:
            # A theme names no case, yet every roster member reads it: no phones or addresses.
            refuse_identifying_text(self, ["theme"], [])
        return self.cleaned_data

    def clean_minutes(self) -> int:
        value: int = self.cleaned_data["minutes"]
        if not 1 <= value <= 240:
            raise forms.ValidationError("時間は1分から240分の間で入れてください。")
        return value


class AttendanceForm(TenantModelForm[Attendance]):
    membership = MemberChoiceField(Membership.objects.none(), label="出席者")

    class Meta:
        model = Attendance
        fields = ["membership", "role"]

    def __init__(self, *args: Any, meeting: Meeting, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        japanese_blank_choices(self)
        self.instance.meeting = meeting
        _model_choices(self, "membership").queryset = meeting.roster_memberships().select_related(
            "user", "agency"
        )
        for name in ("membership", "role"):
            self.fields[name].widget.attrs["class"] = "form-select form-select-sm"
        self.helper = _helper("membership", "role", submit="出席者に加える")


class MinutesForm(forms.ModelForm[AgendaItem]):
    discussion = forms.CharField(
        label="協議内容",
        required=False,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    decisions = forms.CharField(
        label="決定事項",
        required=False,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    class Meta:
        model = AgendaItem
        fields = ["discussion", "decisions"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        japanese_blank_choices(self)
        self.helper = _helper("discussion", "decisions", submit="議事録を保存")

    def clean(self) -> dict[str, Any]:
        super().clean()
        item = self.instance
        guard_masked_item(self, Masker(item.meeting), item, ["discussion", "decisions"])
        return self.cleaned_data


class ActionItemForm(forms.Form):
    text = forms.CharField(label="宿題の内容", max_length=300)
    owner = MemberChoiceField(Membership.objects.none(), label="担当者")
    due_date = JapaneseDateField(label="期日")

    def __init__(
        self, *args: Any, meeting: Meeting, item: AgendaItem | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        japanese_blank_choices(self)
        self.item = item
        attendees = meeting.attendances.values("membership")
        _model_choices(self, "owner").queryset = (
            Membership.objects.active()
            .filter(Q(pk__in=attendees) | Q(roster_entries__body=meeting.body))
            .select_related("user", "agency")
            .distinct()
        )
        self.helper = _helper("text", "owner", "due_date", submit="宿題を追加")
        self.meeting = meeting

    def clean(self) -> dict[str, Any]:
        super().clean()
        if self.item is not None:
            guard_masked_item(self, Masker(self.meeting), self.item, ["text"])
        return self.cleaned_data

    def clean_due_date(self) -> Any:
        due = self.cleaned_data["due_date"]
        if due < self.meeting.date:
            raise forms.ValidationError("期日は会議の日以降にしてください。")
        return due


class ReasonForm(forms.Form):
    reason = forms.CharField(label="理由", max_length=200)


class CorrectionForm(forms.Form):
    reason = forms.CharField(label="訂正の理由", max_length=200)

    def __init__(
        self, *args: Any, meeting: Meeting, current: dict[int, tuple[str, str]], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        japanese_blank_choices(self)
        self.meeting = meeting
        self.items = list(meeting.items.select_related("case"))
        for item in self.items:
            discussion, decisions = current.get(item.pk, ("", ""))
            self.fields[f"discussion_{item.pk}"] = forms.CharField(
                label=f"{item.title}：協議内容",
                required=False,
                initial=discussion,
                max_length=TEXT_MAX,
                widget=forms.Textarea(attrs={"rows": 4}),
            )
            self.fields[f"decisions_{item.pk}"] = forms.CharField(
                label=f"{item.title}：決定事項",
                required=False,
                initial=decisions,
                max_length=TEXT_MAX,
                widget=forms.Textarea(attrs={"rows": 3}),
            )
        self.helper = _helper(*self.fields, submit="訂正を記録する")

    def clean(self) -> dict[str, Any]:
        super().clean()
        masker = Masker(self.meeting)
        for item in self.items:
            names = [f"discussion_{item.pk}", f"decisions_{item.pk}"]
            guard_masked_item(self, masker, item, names)
        return self.cleaned_data

    def drafts(self) -> dict[int, tuple[str, str]]:
        return {
            i.pk: (self.cleaned_data[f"discussion_{i.pk}"], self.cleaned_data[f"decisions_{i.pk}"])
            for i in self.items
        }
