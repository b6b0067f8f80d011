"""Forms for issuing a sheet and for each move on it, and the inbox/outbox filters."""

from __future__ import annotations

from typing import Any

from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Field, Layout, Submit
from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.forms import BoundField
from django.utils.safestring import SafeString

from areas.models import CASE_ROLES, Agency, Area, Membership, display_name
from cases.forms import (
    ModelChoice,
    ModelMultipleChoice,
    capped_text,
    identities,
    model_field,
    refuse_identifying_text,
)
from cases.models import Case
from tsumugi.lib.forms import SecondarySubmit

from .models import Outcome, Sheet, Status, Urgency

User = get_user_model()


class AgencyChoice(ModelMultipleChoice):
    def label_from_instance(self, obj: Agency) -> str:  # type: ignore[override]
        return obj.name


class SheetIssueForm(forms.Form):
    sender_agency = ModelChoice(label="送付元（あなたの機関）", queryset=Agency.objects.none())
    receivers = AgencyChoice(
        label="送付先の機関（複数選ぶと1機関に1枚ずつ出します）",
        queryset=Agency.objects.all(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": "送付先の機関を一つ以上選んでください。",
            "invalid_choice": "選んだ送付先の機関が見つかりません。",
            "invalid_pk_value": "選んだ送付先の機関が見つかりません。",
        },
    )
    urgency = forms.ChoiceField(
        label="緊急度",
        choices=Urgency.choices,
        initial=Urgency.NORMAL,
        widget=forms.RadioSelect,
        help_text="至急: 翌開庁日の終業時刻までに受理を求めます。",
    )

    def __init__(
        self,
        *args: Any,
        case: Case,
        agencies: list[Agency],
        covered: frozenset[int] | None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.case = case
        self.covered = covered
        self.fields["request"] = capped_text("依頼事項", rows=3)
        self.fields["sender_continuing"] = capped_text(
            "当方の継続対応",
            rows=2,
            help_text="送付後もあなたの機関が続けること（丸投げにしないために）。",
        )
        self.fields["shared_info"] = capped_text("共有する情報", required=False, rows=3)
        model_field(self, "sender_agency").queryset = Agency.objects.filter(
            pk__in=[a.pk for a in agencies]
        )
        if len(agencies) == 1:
            self.fields["sender_agency"].widget = forms.HiddenInput()
        own = case.agency_id if case.agency_id in {a.pk for a in agencies} else agencies[0].pk
        self.fields["sender_agency"].initial = own
        mine = {a.pk for a in agencies}
        model_field(self, "receivers").choices = [
            (a.pk, a.name + ("" if covered is None or a.pk in covered else "（匿名で送付）"))
            for a in Agency.objects.active().exclude(pk__in=mine)
        ]
        self.order_fields(
            ["sender_agency", "receivers", "request", "sender_continuing", "shared_info", "urgency"]
        )
        self.fields["receivers"].widget.attrs["autofocus"] = True
        self.helper = FormHelper()
        self.helper.layout = Layout(
            "sender_agency",
            Field("receivers", wrapper_class="receiver-list"),
            "request",
            "sender_continuing",
            "shared_info",
            Field("urgency"),
            HTML(
                '<p class="form-text">匿名で送るシートには、氏名・ふりがな・'
                "生まれ年を書かないでください"
                "（書かれていると送付できません）。</p>"
            ),
            SecondarySubmit("preview", "プレビュー（まだ送りません）", css_class="me-2"),
            Submit("submit", "シートを送る", css_class="btn-primary"),
        )

    def clean_receivers(self) -> QuerySet[Agency]:
        receivers: QuerySet[Agency] = self.cleaned_data["receivers"]
        sender = self.cleaned_data.get("sender_agency")
        for agency in receivers:
            if sender is not None and agency.pk == sender.pk:
                raise ValidationError("送付先に自分の機関（送付元）は選べません。")
            if not agency.is_active:
                raise ValidationError(
                    f"{agency.name}は現在受け付けていない機関です。別の機関を選んでください。"
                )
        return receivers

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        receivers = data.get("receivers") or []
        anonymous = [a for a in receivers if self.covered is not None and a.pk not in self.covered]
        if anonymous:
            # Text of a sheet some receiver reads anonymously (issue 9, point 4).
            refuse_identifying_text(
                self, ["request", "sender_continuing", "shared_info"], identities(self.case)
            )
        return data


class MoveRows:
    """Mixed into the small forms for one move on the sheet page, rendered by a plain template
    (templates/sheets/_move_form.html): crispy-forms took 43 % of that page's time for forms
    of two or three fields. `rows()` gives each field with its Bootstrap widget."""

    submit_label: str = "送信"
    submit_css: str = "btn-primary"

    def rows(self) -> list[tuple[BoundField, SafeString]]:
        assert isinstance(self, forms.BaseForm)
        out: list[tuple[BoundField, SafeString]] = []
        for bound in self:
            widget = bound.field.widget
            css = "form-select" if isinstance(widget, forms.Select) else "form-control"
            attrs: dict[str, str] = {}
            if bound.errors:
                css += " is-invalid"
                attrs = {"aria-invalid": "true", "aria-describedby": f"{bound.auto_id}_error"}
            elif bound.help_text:
                attrs = {"aria-describedby": f"{bound.auto_id}_helptext"}
            out.append((bound, bound.as_widget(attrs={"class": css, **attrs})))
        return out


class MemberChoice(ModelChoice):
    def label_from_instance(self, obj: Any) -> str:
        return display_name(obj)


class AcknowledgeForm(MoveRows, forms.Form):
    submit_label = "受理する"
    assignee = MemberChoice(
        label="担当者", queryset=User.objects.none(), empty_label="選んでください"
    )

    def __init__(self, *args: Any, sheet: Sheet, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        members = (
            Membership.objects.active()
            .filter(agency_id=sheet.receiver_agency_id, role__in=CASE_ROLES)
            .values("user_id")
        )
        field = model_field(self, "assignee")
        field.queryset = User.objects.filter(pk__in=members).order_by(
            "last_name", "first_name", "username"
        )
        self.fields["roles"] = capped_text(
            "役割分担", rows=2, help_text="誰が何をするか（例: 包括=介護申請、支所=見守り訪問）"
        )


class ProgressForm(MoveRows, forms.Form):
    submit_label = "経過を報告する"

    def __init__(self, *args: Any, sheet: Sheet | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["text"] = capped_text(
            "経過報告", rows=3, help_text="報告すると経過報告の期限が延びます。"
        )


class CloseSheetForm(MoveRows, forms.Form):
    submit_label = "終結する"
    outcome = ModelChoice(
        label="結果", queryset=Outcome.objects.none(), empty_label="選んでください"
    )

    def __init__(self, *args: Any, sheet: Sheet | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_field(self, "outcome").queryset = Outcome.objects.filter(is_active=True)
        self.fields["note"] = capped_text("終結のメモ", rows=2)


class RedirectForm(MoveRows, forms.Form):
    submit_label = "転送する"
    to = ModelChoice(
        label="転送先の機関", queryset=Agency.objects.none(), empty_label="選んでください"
    )

    def __init__(self, *args: Any, sheet: Sheet, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_field(self, "to").queryset = Agency.objects.active().exclude(
            pk__in=[sheet.sender_agency_id, sheet.receiver_agency_id]
        )
        self.fields["reason"] = capped_text(
            "転送の理由",
            rows=2,
            help_text="断るのではなく、より適した機関へつなぎ直します。送付元にも伝わります。",
        )
        self.fields["request"] = capped_text(
            "転送先への依頼事項（匿名シートになる転送先のとき必須）",
            required=False,
            rows=3,
            help_text="共有の根拠が名指さない機関へは、元のシートの本文は送りません。"
            "氏名・ふりがな・生まれ年を書かずに、転送先に頼むことを書いてください。",
        )


class WithdrawForm(MoveRows, forms.Form):
    submit_label = "取り下げる"
    submit_css = "btn-outline-danger"

    def __init__(self, *args: Any, sheet: Sheet | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sheet = sheet
        self.fields["reason"] = capped_text("取下げの理由", rows=2)

    def clean(self) -> dict[str, Any]:
        super().clean()
        # The sender writes the reason; the receiver of an anonymised sheet reads it.
        if self.sheet is not None and self.sheet.is_anonymised:
            refuse_identifying_text(self, ["reason"], identities(self.sheet.case))
        return self.cleaned_data


class BoxFilterForm(forms.Form):
    """Inbox filters: by default the open sheets (受理待ち・対応中), the ones needing work."""

    status = forms.ChoiceField(
        label="状態",
        required=False,
        choices=[("", "未完了（受理待ち・対応中）"), ("all", "すべて"), *Status.choices],
    )
    district = ModelChoice(
        label="地区", required=False, queryset=Area.objects.districts(), empty_label="すべて"
    )
    overdue = forms.BooleanField(label="期限切れのみ", required=False)


class OutboxFilterForm(BoxFilterForm):
    """Outbox filters: by default everything, so the sender sees every sheet's live status."""

    status = forms.ChoiceField(
        label="状態",
        required=False,
        choices=[("", "すべて"), ("open", "未完了（受理待ち・対応中）"), *Status.choices],
    )
