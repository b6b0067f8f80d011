"""Forms for issuing a sheet and for each move on it, and the inbox/outbox filters."""

from __future__ import annotations

from typing import Any, ClassVar

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
from tenancy.forms import TenantModelForm
from tsumugi.lib.forms import JapaneseDateTimeField, SecondarySubmit
from tsumugi.lib.lookups import plain_id
from tsumugi.lib.text import identifying_findings
from tsumugi.lib.widgets import QuickSelect

from .models import (
    OUTSIDE_HANDOVERS,
    PHRASE_MAX_CHARS,
    Handover,
    Outcome,
    Phrase,
    PhraseUse,
    Sheet,
    Status,
    Urgency,
)
from .phrases import Offered
from .receivers import receiver_groups

User = get_user_model()


class AgencyChoice(ModelMultipleChoice):
    def label_from_instance(self, obj: Agency) -> str:
        return obj.name


def receiver_candidates(agencies: list[Agency]) -> list[Agency]:
    """The agencies a sheet may go to: the active ones but the sender's own, with what their
    cards show (fields, districts) in two more queries."""
    mine = [a.pk for a in agencies]
    active = Agency.objects.active().exclude(pk__in=mine)
    return list(active.prefetch_related("fields", "districts"))


def add_sheet_fields(
    form: forms.Form, case: Case, agencies: list[Agency], after: str, shared_label: str
) -> None:
    """The sender and the texts of a new sheet, in tsumugi or outside it."""
    form.fields["request"] = capped_text("依頼事項", rows=3)
    form.fields["sender_continuing"] = capped_text(
        "当方の継続対応",
        rows=2,
        help_text=f"{after}もあなたの機関が続けること（丸投げにしないために）。",
    )
    form.fields["shared_info"] = capped_text(shared_label, required=False, rows=3)
    model_field(form, "sender_agency").queryset = Agency.objects.filter(
        pk__in=[a.pk for a in agencies]
    )
    if len(agencies) == 1:
        form.fields["sender_agency"].widget = forms.HiddenInput()
    own = case.agency_id if case.agency_id in {a.pk for a in agencies} else agencies[0].pk
    form.fields["sender_agency"].initial = own


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
        offered: list[Agency],
        covered: frozenset[int] | None,
        search: str = "",
        phrases: list[Offered] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.case = case
        self.covered = covered
        self.search = search
        self.request_phrases = phrases or []
        add_sheet_fields(self, case, agencies, "送付後", "共有する情報")
        model_field(self, "receivers").choices = [(a.pk, a.name) for a in offered]
        self.receiver_groups = receiver_groups(
            case,
            offered,
            covered,
            {tag.field_id for tag in case.tags.all()},
            search=search,
            checked=self.checked_receivers(),
        )
        self.order_fields(
            ["sender_agency", "receivers", "request", "sender_continuing", "shared_info", "urgency"]
        )
        self.helper = FormHelper()
        self.helper.layout = Layout(
            "sender_agency",
            # The receivers by fit, each with its card, and the search (templates/sheets/).
            HTML('{% include "sheets/_receivers.html" %}'),
            "request",
            HTML(
                '{% include "sheets/_phrase_picker.html" with target="id_request" '
                "phrases=form.request_phrases %}"
            ),
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

    @property
    def any_shown(self) -> bool:
        return any(card.shown for group in self.receiver_groups for card in group.cards)

    def checked_receivers(self) -> set[int]:
        getlist = getattr(self.data, "getlist", None)
        raw: list[Any] = getlist("receivers") if self.is_bound and getlist else []
        if not raw:
            raw = self.initial.get("receivers") or []
        return {pk for pk in map(plain_id, raw) if pk is not None}

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
    # Textareas offered the agency's 定型文: field name → PhraseUse (filled by the sheet page).
    phrase_fields: ClassVar[dict[str, str]] = {}
    phrases: dict[str, list[Offered]]

    def rows(self) -> list[tuple[BoundField, SafeString, list[Offered]]]:
        assert isinstance(self, forms.BaseForm)
        offered = getattr(self, "phrases", {})
        out: list[tuple[BoundField, SafeString, list[Offered]]] = []
        for bound in self:
            widget = bound.field.widget
            css = "form-select" if isinstance(widget, forms.Select) else "form-control"
            attrs: dict[str, str] = {}
            if bound.errors:
                css += " is-invalid"
                attrs = {"aria-invalid": "true", "aria-describedby": f"{bound.auto_id}_error"}
            elif bound.help_text:
                attrs = {"aria-describedby": f"{bound.auto_id}_helptext"}
            widget_html = bound.as_widget(attrs={"class": css, **attrs})
            out.append((bound, widget_html, offered.get(bound.name, [])))
        return out


class MemberChoice(ModelChoice):
    def label_from_instance(self, obj: Any) -> str:
        return display_name(obj)


class AcknowledgeForm(MoveRows, forms.Form):
    submit_label = "受理する"
    assignee = MemberChoice(
        label="担当者",
        queryset=User.objects.none(),
        empty_label="選んでください",
        widget=QuickSelect,
    )

    def __init__(self, *args: Any, sheet: Sheet, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        members = (
            Membership.objects.active()
            .filter(agency_id=sheet.receiver_agency_id or 0, role__in=CASE_ROLES)
            .values("user_id")
        )
        field = model_field(self, "assignee")
        field.queryset = User.objects.filter(pk__in=members).order_by(
            "last_name", "first_name", "username"
        )
        self.fields["roles"] = capped_text(
            "役割分担", rows=2, help_text="誰が何をするか（例: 包括=介護申請、支所=見守り訪問）"
        )


class ReassignForm(MoveRows, forms.Form):
    """A new 担当者 within the receiving agency (the new one is told)."""

    submit_label = "担当者を変える"
    submit_css = "btn-outline-primary"
    assignee = MemberChoice(
        label="新しい担当者",
        queryset=User.objects.none(),
        empty_label="選んでください",
        widget=QuickSelect,
    )

    def __init__(self, *args: Any, sheet: Sheet, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        members = (
            Membership.objects.active()
            .filter(agency_id=sheet.receiver_agency_id or 0, role__in=CASE_ROLES)
            .values("user_id")
        )
        model_field(self, "assignee").queryset = (
            User.objects.filter(pk__in=members)
            .exclude(pk=sheet.assignee_id or 0)
            .order_by("last_name", "first_name", "username")
        )


class ProgressForm(MoveRows, forms.Form):
    submit_label = "経過を報告する"
    phrase_fields: ClassVar[dict[str, str]] = {"text": PhraseUse.PROGRESS}

    def __init__(self, *args: Any, sheet: Sheet | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["text"] = capped_text(
            "経過報告",
            rows=3,
            help_text="経過報告の期限は報告した日から数え直します"
            "（受理や前の報告と同じ日の報告では変わりません）。",
        )


class CloseSheetForm(MoveRows, forms.Form):
    submit_label = "終結する"
    phrase_fields: ClassVar[dict[str, str]] = {"note": PhraseUse.CLOSE}
    outcome = ModelChoice(
        label="結果", queryset=Outcome.objects.none(), empty_label="選んでください"
    )

    def __init__(self, *args: Any, sheet: Sheet | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_field(self, "outcome").queryset = Outcome.objects.filter(is_active=True)
        self.fields["note"] = capped_text("終結のメモ", rows=2)


class RedirectForm(MoveRows, forms.Form):
    submit_label = "転送する"
    phrase_fields: ClassVar[dict[str, str]] = {"request": PhraseUse.REQUEST}
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
        self.fields["continuing"] = capped_text(
            "当方の継続対応",
            rows=2,
            help_text="転送したあとも、あなたの機関が続けること（転送先のシートの"
            "「送付元の継続対応」になります。丸投げにしないために）。",
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


# Rows per page of the inbox and the outbox; the first is the default.
PAGE_SIZES = (25, 50, 100)


class BoxFilterForm(forms.Form):
    """Inbox filters: by default the open sheets (受理待ち・対応中), the ones needing work."""

    status = forms.ChoiceField(
        label="状態",
        required=False,
        choices=[("", "未完了（受理待ち・対応中）"), ("all", "すべて"), *Status.choices],
        widget=QuickSelect,
    )
    district = ModelChoice(
        label="地区",
        required=False,
        queryset=Area.objects.districts(),
        empty_label="すべて",
        widget=QuickSelect,
    )
    overdue = forms.BooleanField(label="期限切れのみ", required=False)
    per_page = forms.TypedChoiceField(
        label="表示件数",
        required=False,
        coerce=int,
        empty_value=None,
        choices=[(n, f"{n}件") for n in PAGE_SIZES],
        widget=QuickSelect,
    )

    def page_size(self) -> int:
        """The chosen page size, or the default when it is missing or not one of the choices
        (the other filters still apply: a bad size alone does not undo them)."""
        self.is_valid()
        size = getattr(self, "cleaned_data", {}).get("per_page")
        return size if size in PAGE_SIZES else PAGE_SIZES[0]


class OutboxFilterForm(BoxFilterForm):
    """Outbox filters: by default everything, so the sender sees every sheet's live status."""

    status = forms.ChoiceField(
        label="状態",
        required=False,
        choices=[("", "すべて"), ("open", "未完了（受理待ち・対応中）"), *Status.choices],
        widget=QuickSelect,
    )


class PhraseForm(TenantModelForm[Phrase]):
    """One 定型文 of one agency. Agency text, inserted into sheets some receivers read
    anonymously: what would identify anyone (a telephone number, an address) is refused here
    rather than when the sheet is sent."""

    class Meta:
        model = Phrase
        fields = ["use", "text", "order"]
        widgets = {"text": forms.Textarea(attrs={"rows": 3})}
        help_texts = {
            "text": f"{PHRASE_MAX_CHARS}文字まで。相談者の氏名や連絡先など、"
            "個人の情報は書きません。",
            "order": "小さい順に並びます。",
        }
        error_messages = {
            "text": {
                "max_length": f"定型文は{PHRASE_MAX_CHARS}文字までです"
                "（いまは%(show_value)s文字）。",
                "required": "定型文を入れてください。",
            },
            "use": {"required": "使う欄を選んでください。"},
        }

    def __init__(self, *args: Any, agency: Agency, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.agency = agency
        self.instance.agency = agency
        use = self.fields["use"]
        assert isinstance(use, forms.ChoiceField)
        use.choices = [("", "（選んでください）"), *PhraseUse.choices]
        self.fields["order"].required = False
        self.helper = FormHelper()
        self.helper.layout = Layout(
            "use", "text", "order", Submit("submit", "保存する", css_class="btn-primary")
        )

    def clean_text(self) -> str:
        text: str = self.cleaned_data["text"].strip()
        if not text:
            raise ValidationError("定型文を入れてください。")
        found = identifying_findings(text, [])
        if found:
            raise ValidationError(
                "定型文に、人を特定できる記載があります: "
                + "、".join(found)
                + "。定型文は機関の文として、個人の情報を含めずに書いてください。"
            )
        return text

    def clean_order(self) -> int:
        order = self.cleaned_data.get("order")
        return 0 if order is None else order

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        use, text = cleaned.get("use"), cleaned.get("text")
        if use and text:
            twins = Phrase.objects.filter(agency=self.agency, use=use, text=text)
            if twins.exclude(pk=self.instance.pk).exists():
                self.add_error("text", "同じ欄に同じ定型文がすでにあります。")
        return cleaned


# --- outside tsumugi (電話・FAX・手渡し) ---------------------------------------------------

OUTSIDE_CHOICES = [(h.value, h.label) for h in OUTSIDE_HANDOVERS]
CONTACT_HELP = "先方の職員の名前だけ（住民の名前は書かないでください）。"


def agencies_without_accounts() -> QuerySet[Agency]:
    """Active agencies where nobody can sign in to receive a sheet: reached outside tsumugi."""
    staffed = Membership.objects.active().filter(role__in=CASE_ROLES).values("agency_id")
    return Agency.objects.active().exclude(pk__in=staffed)


class HandOverForm(forms.Form):
    """A hand-off by phone, FAX or by hand to an agency without accounts or a body not in the
    list; the sender records how, when and to whom."""

    sender_agency = ModelChoice(label="送付元（あなたの機関）", queryset=Agency.objects.none())
    handover = forms.ChoiceField(
        label="引継ぎの方法", choices=OUTSIDE_CHOICES, widget=forms.RadioSelect
    )
    handed_at = JapaneseDateTimeField(label="引き継いだ日時")
    receiver_agency = ModelChoice(
        label="引継ぎ先の機関（つむぎのアカウントがない機関）",
        queryset=Agency.objects.none(),
        required=False,
        empty_label="一覧にない（下に書く）",
    )
    outside_receiver = forms.CharField(
        label="一覧にない引継ぎ先",
        max_length=100,
        required=False,
        help_text="例: 朽木地区 民生委員、〇〇病院 地域連携室",
    )
    outside_contact = forms.CharField(
        label="引き継いだ相手", max_length=100, required=False, help_text=CONTACT_HELP
    )
    urgency = forms.ChoiceField(
        label="緊急度", choices=Urgency.choices, initial=Urgency.NORMAL, widget=forms.RadioSelect
    )

    def __init__(
        self,
        *args: Any,
        case: Case,
        agencies: list[Agency],
        named: frozenset[int] | None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.case = case
        self.named = named
        add_sheet_fields(self, case, agencies, "引き継いだ後", "伝えた情報")
        model_field(self, "receiver_agency").queryset = agencies_without_accounts().exclude(
            pk__in=[a.pk for a in agencies]
        )
        self.order_fields(
            [
                "sender_agency",
                "handover",
                "handed_at",
                "receiver_agency",
                "outside_receiver",
                "outside_contact",
                "request",
                "sender_continuing",
                "shared_info",
                "urgency",
            ]
        )
        self.fields["handover"].widget.attrs["autofocus"] = True
        self.helper = FormHelper()
        self.helper.layout = Layout(
            *self.fields,
            HTML(
                '<p class="form-text">共有の根拠が名指す機関のほかは、'
                "氏名などを伏せた匿名シートになります。"
                "伝えてよいのは、このあと印刷できる匿名シートの内容だけです。</p>"
            ),
            Submit("submit", "引継ぎを記録する", css_class="btn-primary"),
        )

    def anonymous(self) -> bool:
        agency = self.cleaned_data.get("receiver_agency")
        return agency is None or (self.named is not None and agency.pk not in self.named)

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if not data.get("receiver_agency") and not (data.get("outside_receiver") or "").strip():
            self.add_error("outside_receiver", "引継ぎ先の機関を選ぶか、ここに書いてください。")
        refuse_identifying_text(
            self, ["outside_receiver", "outside_contact"], identities(self.case)
        )
        if self.anonymous():
            refuse_identifying_text(
                self, ["request", "sender_continuing", "shared_info"], identities(self.case)
            )
        return data


def way_field() -> forms.ChoiceField:
    """How the receiver's answer, heard outside tsumugi, reached the sender."""
    return forms.ChoiceField(label="連絡の方法", choices=OUTSIDE_CHOICES, initial=Handover.PHONE)


class OutsideAcknowledgeForm(MoveRows, forms.Form):
    submit_label = "受理を記録する"
    way = way_field()

    def __init__(self, *args: Any, sheet: Sheet, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sheet = sheet
        self.fields["assignee"] = forms.CharField(
            label="先方の担当者",
            max_length=100,
            initial=sheet.outside_contact,
            help_text=CONTACT_HELP,
        )
        self.fields["roles"] = capped_text(
            "役割分担", rows=2, help_text="誰が何をするか（例: 民生委員=見守り、支所=月1回の訪問）"
        )

    def clean(self) -> dict[str, Any]:
        super().clean()
        refuse_identifying_text(self, ["assignee"], identities(self.sheet.case))
        return self.cleaned_data


class OutsideProgressForm(MoveRows, forms.Form):
    submit_label = "経過報告を記録する"
    way = way_field()

    def __init__(self, *args: Any, sheet: Sheet | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["text"] = capped_text(
            "先方からの経過報告", rows=3, help_text="記録すると経過報告の期限が延びます。"
        )


class OutsideCloseForm(MoveRows, forms.Form):
    submit_label = "終結を記録する"
    way = way_field()
    outcome = ModelChoice(
        label="結果", queryset=Outcome.objects.none(), empty_label="選んでください"
    )

    def __init__(self, *args: Any, sheet: Sheet | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_field(self, "outcome").queryset = Outcome.objects.filter(is_active=True)
        self.fields["note"] = capped_text("終結のメモ", rows=2)
