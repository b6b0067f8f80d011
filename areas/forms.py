"""Roster forms for admins: agencies, districts, memberships, bodies and their rosters, closures.

Layouts live here (crispy), fields are explicit. Model constraints (area layer/parent, unique
role per agency) are checked by ModelForm's full_clean, so a bad input re-renders with the
constraint's Japanese message instead of raising IntegrityError.
"""

from __future__ import annotations

from collections.abc import Iterable
from copy import copy
from typing import Any, cast

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Div, Fieldset, Layout, Submit
from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.validators import MinValueValidator
from django.db import transaction
from django.db.models import Q

from tenancy.forms import TenantModelForm
from tsumugi.lib.forms import JapaneseDateField

from .handover import deactivation_refusal, successors
from .models import (
    SELF_GRANT_REFUSAL,
    Agency,
    Area,
    Body,
    Closure,
    Field,
    Membership,
    RosterEntry,
    display_name,
    grants_self_case_access,
    users_here,
)

User = get_user_model()

MAX_CSV_BYTES = 10 * 1024 * 1024


def model_choice(form: forms.BaseForm, name: str) -> forms.ModelChoiceField[Any]:
    field = form.fields[name]
    assert isinstance(field, forms.ModelChoiceField)
    return field


class UserChoiceField(forms.ModelChoiceField[Any]):
    def label_from_instance(self, obj: Any) -> str:
        return f"{display_name(obj)}（{obj.get_username()}）"


BLANK_LABEL = "（選んでください）"


def japanese_blank_choices(form: forms.BaseForm) -> None:
    """Django's own blank option ("- Select an option -") has no Japanese translation yet."""
    for field in form.fields.values():
        if isinstance(field, forms.ModelMultipleChoiceField):
            continue
        if isinstance(field, forms.ModelChoiceField):
            if field.empty_label is not None:
                field.empty_label = BLANK_LABEL
        elif isinstance(field, forms.ChoiceField):
            choices = cast(Iterable[tuple[Any, Any]], field.choices)
            field.choices = [
                (value, BLANK_LABEL if value == "" else label) for value, label in choices
            ]


def _helper(*layout: Any, submit: str = "保存する") -> FormHelper:
    helper = FormHelper()
    helper.form_tag = True
    helper.layout = Layout(*layout, Submit("submit", submit, css_class="btn-primary"))
    return helper


class AgencyForm(TenantModelForm[Agency]):
    class Meta:
        model = Agency
        fields = [
            "code",
            "name",
            "kind",
            "fields",
            "districts",
            "is_coordination_office",
            "is_active",
            "email",
            "phone",
            "hours",
            "on_duty",
            "description",
            "ack_business_days",
            "follow_up_business_days",
        ]
        widgets = {
            "fields": forms.CheckboxSelectMultiple,
            "districts": forms.CheckboxSelectMultiple,
            "description": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        japanese_blank_choices(self)
        model_choice(self, "fields").queryset = Field.objects.all()
        model_choice(self, "districts").queryset = Area.objects.districts()
        self.fields[
            "code"
        ].help_text = "半角英数字とハイフン。CSVの取り込みではこのコードで照合します。"
        self.fields["is_active"].help_text = "機関は削除せず、無効にします。"
        for name in ("ack_business_days", "follow_up_business_days"):
            days = self.fields[name]
            days.validators.append(MinValueValidator(1))
            days.widget.attrs["min"] = 1
        self.helper = _helper(
            Fieldset("基本", "code", "name", "kind", "email", "phone"),
            Fieldset("送付先を選ぶ画面に出る案内", "description", "hours", "on_duty"),
            Fieldset("担当", Div("fields", css_class="col"), Div("districts", css_class="col")),
            Fieldset(
                "連携と期限",
                "is_coordination_office",
                "ack_business_days",
                "follow_up_business_days",
                "is_active",
            ),
        )


class AreaForm(TenantModelForm[Area]):
    class Meta:
        model = Area
        fields = ["code", "name", "layer", "parent", "school_name", "order"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        japanese_blank_choices(self)
        model_choice(self, "parent").queryset = Area.objects.filter(layer=Area.Layer.CITY)
        self.fields["parent"].help_text = "第2層（中学校区域）は市域を選びます。第1層は空欄です。"
        self.helper = _helper("code", "name", "layer", "parent", "school_name", "order")


class MembershipForm(TenantModelForm[Membership]):
    """Edit a membership; on create, either pick an existing user or create the account here."""

    new_username = forms.CharField(label="新しいユーザー名", max_length=150, required=False)
    new_last_name = forms.CharField(label="姓", max_length=150, required=False)
    new_first_name = forms.CharField(label="名", max_length=150, required=False)
    new_email = forms.EmailField(label="メール", required=False)
    new_password = forms.CharField(
        label="初期パスワード",
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="12文字以上。本人に別の手段で伝え、初回ログイン後に変更してもらいます。",
    )

    class Meta:
        model = Membership
        fields = ["user", "agency", "role", "position", "is_active"]
        field_classes = {"user": UserChoiceField}

    def __init__(self, *args: Any, actor: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        japanese_blank_choices(self)
        self.actor = actor
        self.before = None if self.instance.pk is None else copy(self.instance)
        self.creating = self.instance.pk is None
        user_field = model_choice(self, "user")
        # This municipality's staff only (a user belongs to one municipality).
        user_field.queryset = User.objects.filter(
            Q(pk__in=users_here().filter(is_active=True)) | Q(pk=self.instance.user_id)
        ).order_by("username")
        model_choice(self, "agency").queryset = Agency.objects.filter(
            Q(is_active=True) | Q(pk=self.instance.agency_id)
        )
        self.fields["is_active"].help_text = "所属は削除せず、無効にします。"
        if self.creating:
            user_field.required = False
            user_field.help_text = "既存の職員を選ぶか、下の欄で新しいアカウントを作ります。"
            new_user = Fieldset(
                "新しいアカウント（既存の職員を選ばない場合）",
                "new_username",
                "new_last_name",
                "new_first_name",
                "new_email",
                "new_password",
            )
            self.helper = _helper("user", new_user, "agency", "role", "position", "is_active")
        else:
            for name in (
                "new_username",
                "new_last_name",
                "new_first_name",
                "new_email",
                "new_password",
            ):
                del self.fields[name]
            self.helper = _helper("user", "agency", "role", "position", "is_active")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        user, agency = cleaned.get("user"), cleaned.get("agency")
        if grants_self_case_access(
            self.actor,
            user.pk if user else None,
            agency.pk if agency else None,
            cleaned.get("role", ""),
            bool(cleaned.get("is_active")),
            self.before,
        ):
            raise forms.ValidationError(SELF_GRANT_REFUSAL)
        if not self.creating:
            refusal = deactivation_refusal(
                self.before,
                user_id=user.pk if user else None,
                agency_id=agency.pk if agency else None,
                is_active=bool(cleaned.get("is_active")),
            )
            if refusal:
                raise forms.ValidationError(refusal)
            return cleaned
        username = (cleaned.get("new_username") or "").strip()
        if cleaned.get("user") and username:
            raise forms.ValidationError(
                "既存の職員を選ぶか新しいユーザー名を入れるか、どちらか一方にしてください。"
            )
        if not cleaned.get("user") and not username:
            self.add_error("user", "職員を選ぶか、新しいユーザー名を入れてください。")
        if username:
            self._clean_new_user(cleaned, username)
        return cleaned

    def _clean_new_user(self, cleaned: dict[str, Any], username: str) -> None:
        if User.objects.filter(username=username).exists():
            self.add_error("new_username", f"ユーザー名「{username}」はすでに使われています。")
            return
        if not cleaned.get("new_last_name"):
            self.add_error("new_last_name", "新しいアカウントには姓が必要です。")
        password = cleaned.get("new_password") or ""
        if not password:
            self.add_error("new_password", "新しいアカウントには初期パスワードが必要です。")
            return
        candidate = User(
            username=username,
            last_name=cleaned.get("new_last_name", ""),
            first_name=cleaned.get("new_first_name", ""),
            email=cleaned.get("new_email", ""),
        )
        try:
            validate_password(password, candidate)
        except forms.ValidationError as error:
            self.add_error("new_password", error)

    def _post_clean(self) -> None:
        # The unique (user, agency, role) check needs the user; a new account has none yet.
        if self.creating and not self.cleaned_data.get("user"):
            # No agency chosen (an invalid form): the instance keeps none, the form shows errors.
            if self.cleaned_data.get("agency") is not None:
                self.instance.agency = self.cleaned_data["agency"]
            return
        super()._post_clean()  # type: ignore[misc]

    @transaction.atomic
    def save(self, commit: bool = True) -> Membership:
        if self.creating and not self.cleaned_data.get("user"):
            user = User(
                username=self.cleaned_data["new_username"].strip(),
                last_name=self.cleaned_data["new_last_name"],
                first_name=self.cleaned_data["new_first_name"],
                email=self.cleaned_data["new_email"],
            )
            user.set_password(self.cleaned_data["new_password"])
            user.save()
            self.instance.user = user
            self.instance.role = self.cleaned_data["role"]
            self.instance.position = self.cleaned_data.get("position", "")
            self.instance.is_active = self.cleaned_data.get("is_active", True)
        return super().save(commit=commit)


class BodyForm(TenantModelForm[Body]):
    class Meta:
        model = Body
        fields = ["code", "name", "kind", "area", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        japanese_blank_choices(self)
        self.helper = _helper("code", "name", "kind", "area", "description")


class RosterEntryForm(TenantModelForm[RosterEntry]):
    class Meta:
        model = RosterEntry
        fields = ["membership", "title"]

    def __init__(self, *args: Any, body: Body, actor: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        japanese_blank_choices(self)
        self.instance.body = body
        membership_field = self.fields["membership"]
        assert isinstance(membership_field, forms.ModelChoiceField)
        offered = Membership.objects.active().exclude(roster_entries__body=body)
        if actor is not None and actor.is_authenticated:
            # A seat on a body opens its meetings (支援会議: with names): not for oneself.
            offered = offered.exclude(user_id=actor.pk)
        membership_field.queryset = offered.select_related("user", "agency")
        # Members already on this body are not offered, so a duplicate cannot be chosen.
        self.helper = _helper("membership", "title", submit="構成員に加える")


class ClosureForm(TenantModelForm[Closure]):
    date = JapaneseDateField(label="閉庁日")

    class Meta:
        model = Closure
        fields = ["date", "reason"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        japanese_blank_choices(self)
        self.helper = _helper("date", "reason")


class CsvUploadForm(forms.Form):
    file = forms.FileField(
        label="CSVファイル",
        help_text="UTF-8（BOMあり・なし）または Shift_JIS（CP932）。1行目は見出し行です。",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        japanese_blank_choices(self)
        self.helper = _helper("file", submit="取り込む")

    def clean_file(self) -> bytes:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_CSV_BYTES:
            raise forms.ValidationError("ファイルが大きすぎます（10MBまで）。")
        data: bytes = upload.read()
        return data


class SuccessorChoiceField(forms.ModelChoiceField[Any]):
    def label_from_instance(self, obj: Any) -> str:
        position = f"・{obj.position}" if obj.position else ""
        return f"{display_name(obj.user)}（{obj.get_role_display()}{position}）"


class HandOverForm(forms.Form):
    """人事異動 of one member: who takes over, and whether their place in the agency ends now."""

    successor = SuccessorChoiceField(
        label="後任", queryset=Membership.objects.none(), empty_label=BLANK_LABEL
    )
    deactivate = forms.BooleanField(
        label="引継ぎと同時に、この方のこの機関の所属をすべて無効にする",
        required=False,
        initial=True,
    )

    def __init__(self, *args: Any, leaving: Membership, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_choice(self, "successor").queryset = successors(leaving.agency_id, leaving.user_id)
        self.helper = _helper("successor", "deactivate", submit="この内容で引き継ぐ")


class HandOverCommitForm(forms.Form):
    """The previewed file, signed, sent back to be carried out exactly as previewed."""

    payload = forms.CharField(widget=forms.HiddenInput, max_length=MAX_CSV_BYTES * 2)
