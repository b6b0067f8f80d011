"""Forms for consultations: intake, edit, close, list filters and search.

Dates are read by tsumugi.lib.forms (西暦, 和暦, full-width digits). Every text box is capped at
settings.TEXT_FIELD_MAX_CHARS so a pasted document is refused, not stored.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any, cast

from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Div, Field, Fieldset, Layout, Submit
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.forms import formset_factory
from django.utils import timezone

from areas.models import Agency, Area, Body
from tsumugi.lib.dates import ERA_BY_KEY
from tsumugi.lib.forms import JapaneseDateField, JapaneseDateTimeField, KanaField, normalise
from tsumugi.lib.lookups import plain_id
from tsumugi.lib.text import Identity, guard_anonymous_text

from .models import Basis, Case, Channel, ConsentMethod, IssueTag

_ERA_RE = "|".join(sorted((re.escape(k) for k in ERA_BY_KEY), key=len, reverse=True))


class ReceivedAtField(JapaneseDateTimeField):
    """When a consultation came in: not in the future, not before this kind of record existed."""

    def validate(self, value: Any) -> None:
        super().validate(value)
        if value is None:
            return
        if value > timezone.now() + timedelta(minutes=5):
            raise ValidationError("未来の日時は入力できません。", code="future")
        if value.year < 2000:
            raise ValidationError("2000年より前の日付は入力できません。", code="too_old")


def parse_birth_year(text: str) -> int | None:
    value = normalise(text).removesuffix("年").removesuffix("生まれ").removesuffix("生").strip()
    if not value:
        return None
    if value.isdigit() and len(value) == 4:
        year = int(value)
    elif match := re.match(rf"^({_ERA_RE})\s*(\d{{1,2}}|元)$", value):
        year = ERA_BY_KEY[match[1]].offset + (1 if match[2] == "元" else int(match[2]))
    else:
        raise ValidationError(
            "生まれ年は 1944 や 昭和19、S19 のように入力してください。", code="invalid"
        )
    if not 1900 <= year <= timezone.now().year:
        raise ValidationError(
            f"生まれ年は 1900〜{timezone.now().year} の範囲で入力してください。", code="range"
        )
    return year


class BirthYearField(forms.CharField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 12)
        super().__init__(**kwargs)

    def clean(self, value: Any) -> int | None:
        text = super().clean(value)
        return parse_birth_year(text) if text else None


def _check_pk(field: forms.ModelChoiceField[Any], value: Any) -> None:
    # SQLite raises OverflowError for integers beyond 64 bits instead of matching nothing, so
    # a typed "99999999999999999999" would be a 500; refuse anything that is not a plain id.
    if value in field.empty_values:
        return
    if plain_id(value) is None:
        raise ValidationError(
            field.error_messages["invalid_choice"],
            code="invalid_choice",
            params={"value": str(value)[:20]},
        )


class ModelChoice(forms.ModelChoiceField[Any]):
    def to_python(self, value: Any) -> Any:
        _check_pk(self, value)
        return super().to_python(value)


class ModelMultipleChoice(forms.ModelMultipleChoiceField[Any]):
    def _check_values(self, value: Any) -> Any:
        for pk in value if isinstance(value, list | tuple) else [value]:
            _check_pk(self, pk)
        return super()._check_values(value)  # type: ignore[misc]


def capped_text(
    label: str, *, required: bool = True, rows: int = 3, help_text: str = ""
) -> forms.CharField:
    limit = settings.TEXT_FIELD_MAX_CHARS
    return forms.CharField(
        label=label,
        required=required,
        max_length=limit,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": rows, "class": "form-control"}),
        error_messages={
            "max_length": f"長すぎます（{limit:,}文字まで。いまは%(show_value)s文字）。"
            "長い記録は要点にまとめてください。"
        },
    )


def identities(case: Case | None) -> list[Identity]:
    """The people of a case as the anonymous-text guard needs them."""
    if case is None:
        return []
    return [Identity(p.name, p.kana, p.birth_year) for p in case.people.all()]


def refuse_identifying_text(form: forms.BaseForm, names: list[str], people: list[Identity]) -> None:
    """Put the guard's refusal on each field (of `names`) written for anonymous readers."""
    for name in names:
        value = form.cleaned_data.get(name)
        if not value:
            continue
        try:
            guard_anonymous_text(value, people)
        except ValidationError as refused:
            form.add_error(name, refused)


def grouped_tags() -> list[tuple[str, list[tuple[int, str]]]]:
    groups: dict[str, list[tuple[int, str]]] = {}
    for tag in IssueTag.objects.filter(is_active=True).select_related("field"):
        groups.setdefault(tag.field.name, []).append((tag.pk, tag.name))
    return list(groups.items())


class PersonForm(forms.Form):
    name = forms.CharField(label="氏名", max_length=60, required=False)
    kana = KanaField(
        label="ふりがな",
        max_length=60,
        required=False,
        help_text="カタカナ・半角カナでも入力できます",
    )
    birth_year = BirthYearField(label="生まれ年", required=False, help_text="1944、昭和19 など")
    relation = forms.CharField(label="続柄・立場", max_length=30, required=False)
    is_primary = forms.BooleanField(label="中心となる人", required=False)
    # The counter's answer to 「同じ人の相談」 (templates/cases/_resident_candidates.html): the
    # id of a person in one of the candidate consultations, or empty for a new person. The view
    # checks it against the candidates this user was shown (cases/residents.py).
    same_as = forms.CharField(label="同じ人", max_length=20, required=False)

    def clean_same_as(self) -> int | None:
        value = self.cleaned_data.get("same_as") or ""
        if not value:
            return None
        pk = plain_id(value)
        if pk is None:
            raise ValidationError("同じ人の選び方が正しくありません。", code="invalid")
        return pk

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        others = [data.get(k) for k in ("kana", "birth_year", "relation")]
        if not data.get("name") and any(others):
            self.add_error(
                "name", "氏名を入力してください（わからなければ「不明」と書いてください）。"
            )
        return data


class BasePersonFormSet(forms.BaseFormSet[forms.Form]):
    def people(self, *, default_primary: bool = True) -> list[dict[str, Any]]:
        rows = [f.cleaned_data for f in self.forms if f.cleaned_data.get("name")]
        if default_primary and rows and not any(r["is_primary"] for r in rows):
            rows[0] = {**rows[0], "is_primary": True}
        return rows

    def clean(self) -> None:
        if any(self.errors):
            return
        primaries = [f for f in self.forms if f.cleaned_data.get("is_primary")]
        if len(primaries) > 1:
            raise ValidationError("「中心となる人」は一人だけ選んでください。")


PersonFormSet = formset_factory(
    PersonForm, formset=BasePersonFormSet, extra=3, max_num=12, validate_max=True, absolute_max=12
)


def model_field(form: forms.Form, name: str) -> forms.ModelChoiceField[Any]:
    return cast("forms.ModelChoiceField[Any]", form.fields[name])


INFO_CHOICES = [
    ("identity", "氏名・連絡先"),
    ("household", "世帯の状況"),
    ("consultation", "相談内容"),
    ("health", "心身の状況"),
]


def consent_fields() -> dict[str, forms.Field]:
    """The fields of one 本人同意 record (intake and the case page's 同意 section)."""
    return {
        "consent_agencies": ModelMultipleChoice(
            label="同意を得た共有先",
            queryset=Agency.objects.active(),
            required=False,
            widget=forms.CheckboxSelectMultiple,
        ),
        "consent_kinds": forms.MultipleChoiceField(
            label="共有してよい情報",
            choices=INFO_CHOICES,
            required=False,
            initial=[k for k, _ in INFO_CHOICES],
            widget=forms.CheckboxSelectMultiple,
        ),
        "consent_method": forms.ChoiceField(
            label="同意の方法",
            choices=ConsentMethod.choices,
            initial=ConsentMethod.ORAL,
            required=False,
            help_text="空欄なら口頭として記録します。",
        ),
        "consent_expires_on": JapaneseDateField(label="同意の有効期限（任意）", required=False),
        "consent_scope": capped_text("同意の範囲のメモ", required=False, rows=2),
    }


def clean_consent(form: forms.Form, data: dict[str, Any], required: bool) -> None:
    if not required:
        return
    if not data.get("consent_agencies"):
        form.add_error(
            "consent_agencies", "本人同意の場合は、同意を得た共有先の機関を選んでください。"
        )
    if not data.get("consent_kinds"):
        form.add_error("consent_kinds", "共有してよい情報の種類を一つ以上選んでください。")
    data["consent_method"] = data.get("consent_method") or ConsentMethod.ORAL


class CaseFieldsMixin(forms.Form):
    """Fields shared by the intake and edit forms."""

    def setup_common(self) -> None:
        model_field(self, "district").queryset = Area.objects.districts()
        tags = model_field(self, "tags")
        tags.queryset = IssueTag.objects.filter(is_active=True)
        tags.choices = grouped_tags()
        model_field(self, "support_body").queryset = Body.objects.filter(kind=Body.Kind.SUPPORT)

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        basis = data.get("basis")
        if basis == Basis.SUPPORT_MEETING and not data.get("support_body"):
            self.add_error(
                "support_body", "支援会議の場合は、この相談を扱う支援会議を選んでください。"
            )
        if basis and basis != Basis.SUPPORT_MEETING:
            data["support_body"] = None
        return data


def _case_fields() -> dict[str, forms.Field]:
    return {
        "received_at": ReceivedAtField(label="受付日時"),
        "channel": forms.ChoiceField(label="受付方法", choices=Channel.choices),
        "district": ModelChoice(
            label="地区", queryset=Area.objects.none(), empty_label="選んでください"
        ),
        "tags": ModelMultipleChoice(
            label="課題",
            queryset=IssueTag.objects.none(),
            required=False,
            widget=forms.CheckboxSelectMultiple,
        ),
        "summary": capped_text("相談の概要", rows=4),
        "shared_summary": capped_text(
            "共有用の概要",
            required=False,
            rows=2,
            help_text="同意のない機関（匿名シート、会議の伏せ字）にはこの文だけが見えます。"
            "氏名・ふりがな・生まれ年・連絡先を書かないでください。",
        ),
        "basis": forms.ChoiceField(
            label="情報共有の根拠",
            choices=Basis.choices,
            widget=forms.RadioSelect,
        ),
        "support_body": ModelChoice(
            label="支援会議（根拠が支援会議のとき）",
            queryset=Body.objects.none(),
            required=False,
            empty_label="選んでください",
        ),
    }


BASIS_HELP = HTML(
    '<p class="form-text" id="basis-help">氏名などが見えるのは、受け付けた機関と、根拠が名指す'
    "機関だけです（本人同意: 同意を得た共有先、支援会議: その支援会議の構成機関、緊急: シートを"
    "送った機関）。それ以外の機関へは<strong>匿名シート</strong>になり、共有用の概要だけが"
    "見えます。</p>"
)


class ConsultationForm(CaseFieldsMixin):
    agency = ModelChoice(label="受付機関", queryset=Agency.objects.none())
    household = forms.BooleanField(
        label="入力した人たちを同じ世帯として記録する",
        required=False,
        initial=True,
        help_text="同居の家族など。世帯の他の人の相談も、見てよい範囲で住民のページに出ます。",
    )

    def __init__(self, *args: Any, agencies: list[Agency], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields.update(_case_fields())
        self.fields.update(consent_fields())
        self.order_fields(
            ["received_at", "agency", "channel", "district", "tags", "summary", "shared_summary"]
        )
        self.setup_common()
        model_field(self, "agency").queryset = Agency.objects.filter(
            pk__in=[a.pk for a in agencies]
        )
        if len(agencies) == 1:
            self.fields["agency"].widget = forms.HiddenInput()
            self.fields["agency"].initial = agencies[0].pk
        self.fields["received_at"].initial = timezone.now()
        self.fields["channel"].initial = Channel.WINDOW
        self.fields["basis"].initial = Basis.CONSENT
        districts = {d for a in agencies for d in a.districts.all()}
        if len(districts) == 1:
            self.fields["district"].initial = districts.pop().pk
        first = "summary" if self.fields["district"].initial else "district"
        self.fields[first].widget.attrs["autofocus"] = True
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.layout = Layout(
            Fieldset(
                "受付",
                Div(
                    Div("received_at", css_class="col-md-3"),
                    Div("channel", css_class="col-md-3"),
                    Div("agency", css_class="col-md-3"),
                    Div("district", css_class="col-md-3"),
                    css_class="row",
                ),
            ),
            "summary",
            "shared_summary",
            Field("tags", template="cases/_tag_groups.html"),
        )
        self.basis_helper = FormHelper()
        self.basis_helper.form_tag = False
        self.basis_helper.disable_csrf = True
        self.basis_helper.layout = Layout(
            Fieldset(
                "情報共有の根拠",
                Field("basis", aria_describedby="basis-help"),
                BASIS_HELP,
                "support_body",
                Field("consent_agencies", wrapper_class="consent-agencies"),
                Field("consent_kinds", wrapper_class="consent-kinds"),
                "consent_method",
                "consent_expires_on",
                "consent_scope",
            ),
            Submit("submit", "受け付ける", css_class="btn-primary btn-lg"),
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        clean_consent(self, data, data.get("basis") == Basis.CONSENT)
        if data.get("basis") != Basis.CONSENT:
            data["consent_agencies"] = Agency.objects.none()
            data["consent_scope"] = ""
        return data


class ConsentForm(forms.Form):
    """The case page's 同意の記録: a consent obtained (again) later takes effect from then."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields.update(consent_fields())
        self.helper = FormHelper()
        self.helper.layout = Layout(
            Field("consent_agencies", wrapper_class="consent-agencies"),
            "consent_kinds",
            "consent_method",
            "consent_expires_on",
            "consent_scope",
            Submit("submit", "同意を記録する", css_class="btn-primary"),
        )

    def clean(self) -> dict[str, Any]:
        super().clean()
        clean_consent(self, self.cleaned_data, True)
        return self.cleaned_data


class WithdrawConsentForm(forms.Form):
    consent = forms.IntegerField(widget=forms.HiddenInput)
    note = capped_text("撤回の内容", rows=2, help_text="いつ、誰から、どのように申し出があったか。")


class CaseEditForm(CaseFieldsMixin):
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields.update(_case_fields())
        self.setup_common()
        if not self.is_bound:
            self.initial = {
                "version": case.version,
                "received_at": case.received_at,
                "channel": case.channel,
                "district": case.district_id,
                "tags": [t.pk for t in case.tags.all()],
                "summary": case.summary,
                "shared_summary": case.shared_summary,
                "basis": case.basis,
                "support_body": case.support_body_id or "",
            }
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.layout = Layout(
            "version",
            Div(
                Div("received_at", css_class="col-md-4"),
                Div("channel", css_class="col-md-4"),
                Div("district", css_class="col-md-4"),
                css_class="row",
            ),
            "summary",
            "shared_summary",
            Field("tags", template="cases/_tag_groups.html"),
            Fieldset(
                "情報共有の根拠",
                "basis",
                BASIS_HELP,
                "support_body",
                HTML(
                    '<p class="form-text">本人同意の記録と撤回は、相談の詳細画面の'
                    "「本人同意」で行います。</p>"
                ),
            ),
        )

    def model_values(self) -> dict[str, Any]:
        keys = (
            "received_at",
            "channel",
            "district",
            "summary",
            "shared_summary",
            "basis",
            "support_body",
        )
        return {k: self.cleaned_data[k] for k in keys}


class CloseCaseForm(forms.Form):
    note = capped_text("終結の理由", rows=3)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.layout = Layout(
            "note", Submit("submit", "相談を終結する", css_class="btn-danger")
        )


class CaseFilterForm(forms.Form):
    status = forms.ChoiceField(
        label="状態", required=False, choices=[("", "すべて"), *Case.Status.choices]
    )
    district = ModelChoice(
        label="地区", required=False, queryset=Area.objects.districts(), empty_label="すべて"
    )
    tag = ModelChoice(
        label="課題", required=False, queryset=IssueTag.objects.all(), empty_label="すべて"
    )
    holding = forms.BooleanField(label="抱え込みの疑いのみ", required=False)


class SearchForm(forms.Form):
    q = forms.CharField(
        label="相談番号・氏名・ふりがな",
        max_length=60,
        required=False,
        widget=forms.TextInput(attrs={"type": "search", "autofocus": True}),
    )


class PersonIdField(forms.CharField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_length=20, widget=forms.HiddenInput, **kwargs)

    def clean(self, value: Any) -> int:
        text = super().clean(value)
        pk = plain_id(text)
        if pk is None:
            raise ValidationError("相手が正しくありません。", code="invalid")
        return pk


class LinkForm(forms.Form):
    """結ぶ on a resident page: the other person (a candidate shown on the page)."""

    other = PersonIdField()


class PersonIdsField(forms.MultipleChoiceField):
    def valid_value(self, value: Any) -> bool:
        return plain_id(value) is not None

    def clean(self, value: Any) -> list[int]:
        return [int(v) for v in super().clean(value)]


class DuplicateConfirmForm(forms.Form):
    """名寄せ: the people of one group the office found to be one resident (by person id; the
    group's match key is never put on a page)."""

    people = PersonIdsField(label="同じ人として結ぶ人", widget=forms.CheckboxSelectMultiple)

    def clean_people(self) -> list[int]:
        people: list[int] = self.cleaned_data["people"]
        if len(set(people)) < 2:
            raise ValidationError("二人以上選んでください。", code="too_few")
        return people


class DismissForm(forms.Form):
    """名寄せ: leave a group apart, named by one of its people."""

    person = PersonIdField()
    note = capped_text("見送りのメモ（任意）", required=False, rows=1)
