"""Sheet pages: issue from a case, inbox, outbox, detail, and one POST view per move.

Every fetch goes through Sheet.objects.visible_to (guessed id → 404, also by POST). Moves are
model methods that lock the row and check the state they start from: when two people act at
once the loser's SheetError becomes a message, never a 500.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import (
    BooleanField,
    ExpressionWrapper,
    F,
    Q,
)
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from areas.models import Agency, Area
from areas.scope import scope_of
from cases.audit import record_access
from cases.http import my_agencies, posted, user_of, visible_case
from cases.models import Basis, Case
from cases.privacy import (
    ALL_KINDS,
    NOTHING,
    CaseView,
    Decision,
    agency_viewer,
    decide,
    facts_of,
    named_agency_ids,
    view_for,
    viewer_of,
)
from cases.timeline import timeline
from tsumugi.context_processors import INBOX_COUNT_ATTR
from tsumugi.lib.client import client_address
from tsumugi.lib.dates import format_datetime, local_date
from tsumugi.lib.partials import page_or_partial, wants_partial
from tsumugi.lib.scalar import ColumnByKey
from tsumugi.lib.worker_file import download

from . import printout
from .forms import (
    AcknowledgeForm,
    BoxFilterForm,
    CloseSheetForm,
    HandOverForm,
    OutboxFilterForm,
    OutsideAcknowledgeForm,
    OutsideCloseForm,
    OutsideProgressForm,
    ProgressForm,
    ReassignForm,
    RedirectForm,
    SheetIssueForm,
    WithdrawForm,
    receiver_candidates,
)
from .models import Outcome, PhraseUse, Sheet, SheetError, SheetPrint, SheetQuerySet, Status
from .phrases import by_use, phrases_of

BOX_FILTERS = ("status", "district", "overdue")
LIST_RELATED = ("case", "case__district", "sender_agency", "receiver_agency", "assignee")
# What a row of the inbox and the outbox writes (templates/sheets/inbox.html, outbox.html), and
# no more: the rows' joined case and agencies are wide (summaries, descriptions, hours) and a
# page of 25 read and built 115 columns a row for 16 (1.5 ms of the page). A field left out
# here and read by a template costs a query per row, which the exact query-count tests catch.
LIST_COLUMNS = (
    "number",
    "status",
    "urgency",
    "is_anonymised",
    "handover",
    "outside_receiver",
    "outside_contact",
    "sent_at",
    "next_due_at",
    "case_id",
    "parent_id",
    "sender_agency_id",
    "receiver_agency_id",
    "assignee_id",
    "case__district__name",
    "sender_agency__name",
    "receiver_agency__name",
    "assignee__username",
    "assignee__last_name",
    "assignee__first_name",
)


OTHERS_ANONYMOUS = "それ以外の機関へは匿名シートになります（送付先の一覧は見出しで分けています）。"


def anonymisation_note(case: Case, covered: frozenset[int] | None) -> str:
    if covered is None:
        return "緊急（生命・身体の保護）のため、どの機関へも氏名などを含めて送ります。"
    if case.basis == Basis.NONE:
        return (
            "この相談には共有の同意がありません。"
            "どの送付先へも、氏名・ふりがな・生まれ年を伏せた匿名シートになります。"
        )
    if case.basis == Basis.CONSENT:
        return "本人が同意した共有先へは氏名などを含めて送ります。" + OTHERS_ANONYMOUS
    return "支援会議の構成機関へは氏名などを含めて送ります。" + OTHERS_ANONYMOUS


@login_required
@transaction.atomic
def sheet_new(request: HttpRequest, case_pk: int) -> HttpResponse:
    case = visible_case(request, case_pk)
    agencies = my_agencies(request)
    if not agencies:
        raise Http404("シートを出せる機関に所属していません。")
    if case.status != Case.Status.OPEN:
        messages.error(request, "終結した相談からはシートを出せません。")
        return redirect("cases:detail", pk=case.pk)
    offered = receiver_candidates(agencies)
    covered = named_agency_ids(case, among=[a.pk for a in offered])
    data = posted(request)
    # 絞り込む without JavaScript re-sends the whole form: it comes back as typed, unvalidated
    # (typed text may name the resident, so it never travels in a URL).
    filtering = data is not None and "filter" in data
    search = (data if data is not None else request.GET).get("receiver_search", "")[:100]
    form = SheetIssueForm(
        None if filtering else data,
        initial=as_typed(data) if filtering and data is not None else None,
        case=case,
        agencies=agencies,
        offered=offered,
        covered=covered,
        search=search.strip(),
        phrases=phrases_of([a.pk for a in agencies], [PhraseUse.REQUEST]),
    )
    previewing = request.method == "POST" and "preview" in request.POST
    if request.method == "POST" and not filtering and form.is_valid() and not previewing:
        try:
            sheets = issue_sheets(request, case, form.cleaned_data)
        except SheetError as error:
            form.add_error(None, str(error))
        else:
            numbers = "、".join(s.number for s in sheets)
            messages.success(request, f"つむぎあいシート {numbers} を送りました。")
            return redirect("cases:detail", pk=case.pk)
    record_access(request, case, "シートの作成")
    context = {
        "case": case,
        "form": form,
        "note": anonymisation_note(case, covered),
        "previews": previews(case, form),
    }
    status = 400 if form.is_bound and not (previewing and form.is_valid()) else 200
    return render(request, "sheets/sheet_new.html", context, status=status)


def as_typed(data: QueryDict) -> dict[str, Any]:
    """The issue form's fields as they were posted, as initial values of an unbound form."""
    typed: dict[str, Any] = {"receivers": data.getlist("receivers")}
    for name in ("sender_agency", "request", "sender_continuing", "shared_info", "urgency"):
        if name in data:
            typed[name] = data[name]
    return typed


@dataclass(frozen=True)
class Preview:
    title: str
    view: CaseView
    request: str
    shared_info: str


def previews(case: Case, form: SheetIssueForm) -> list[Preview]:
    """「受け手にはこう見えます」: for each chosen receiver, the case as the rule will show it
    to them, with the text as typed (works without JavaScript: the form's プレビュー button)."""
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    receivers = list(data.get("receivers") or [])
    text = (data.get("request", ""), data.get("shared_info", ""))
    if not receivers:
        return [Preview("匿名シートの送付先", view_for(case, NOTHING), *text)]
    panels = []
    for receiver in receivers:
        if case.basis == Basis.EMERGENCY:
            decision = Decision(ALL_KINDS)
        else:
            decision = decide(case, agency_viewer(receiver))
        title = receiver.name + ("" if decision.shows_people else "（匿名で送付）")
        panels.append(Preview(title, view_for(case, decision), *text))
    return panels


def issue_sheets(request: HttpRequest, case: Case, data: dict[str, Any]) -> list[Sheet]:
    with transaction.atomic():  # one sheet per receiver, all or none
        return [
            Sheet.issue(
                case=case,
                by=user_of(request),
                sender_agency=data["sender_agency"],
                receiver_agency=receiver,
                request=data["request"],
                sender_continuing=data["sender_continuing"],
                shared_info=data["shared_info"],
                urgency=data["urgency"],
            )
            for receiver in data["receivers"]
        ]


def filtered(sheets: SheetQuerySet, form: BoxFilterForm) -> SheetQuerySet:
    # A field with a bad value falls back to its default; the valid ones still apply.
    form.is_valid()
    data: dict[str, Any] = {
        "status": "",
        "district": None,
        "overdue": False,
        **getattr(form, "cleaned_data", {}),
    }
    status = data["status"]
    if status == "open" or (status == "" and not isinstance(form, OutboxFilterForm)):
        # Open ⇔ a pending deadline (sheet constraints), so this walks the inbox index.
        sheets = sheets.filter(next_due_at__isnull=False).order_by("next_due_at", "id")
    else:
        if status in Status.values:
            sheets = sheets.filter(status=status)
        sheets = sheets.order_by(F("next_due_at").asc(nulls_last=True), "-sent_at", "-id")
    if data["district"]:
        sheets = sheets.filter(case__district=data["district"])
    if data["overdue"]:
        sheets = sheets.filter(next_due_at__lte=timezone.now())
    return sheets


def box(request: HttpRequest, which: str) -> HttpResponse:
    # inbox_of/outbox_of(my agency ids) are the receiver/sender clauses of
    # Sheet.objects.visible_to, so each box is inside it by construction (tests check it);
    # skipping visible_to's other clauses keeps the COUNT on the inbox index, with no join.
    agency_ids = scope_of(request.user).agency_ids
    if which == "inbox":
        form: BoxFilterForm = BoxFilterForm(request.GET or None)
        sheets = Sheet.objects.inbox_of(agency_ids)
    else:
        form = OutboxFilterForm(request.GET or None)
        sheets = Sheet.objects.outbox_of(agency_ids)
    sheets = filtered(sheets, form)
    # Deferred join: the paginator walks ids on the index (OFFSET stays cheap on page 100),
    # then the page's 25, 50 or 100 rows are fetched with their related rows.
    page = Paginator(sheets.values_list("pk", flat=True), form.page_size()).get_page(
        request.GET.get("page")
    )
    ids = list(page.object_list)
    fetched = (
        Sheet.objects.filter(pk__in=ids)
        .select_related(*LIST_RELATED)
        .only(*LIST_COLUMNS)
        .with_reached_step()
    )
    rows = {s.pk: s for s in fetched}
    listed = [rows[pk] for pk in ids]
    page.object_list = listed  # type: ignore[assignment]
    if which == "inbox" and not any(request.GET.get(k) for k in BOX_FILTERS):
        setattr(request, INBOX_COUNT_ATTR, page.paginator.count)
    context = {"form": form, "page": page, "which": which, "now": timezone.now()}
    if which == "outbox":
        chains = chains_below(listed)
        for sheet in listed:
            setattr(sheet, "chain", chains.get(sheet.pk, []))  # noqa: B010
    return page_or_partial(request, f"sheets/{which}.html", "box-list", context)


@dataclass(frozen=True)
class Link:
    """One sheet further down a redirect chain, as the outbox lists it under its top sheet."""

    sheet: Sheet
    depth: int


def chains_below(sheets: list[Sheet]) -> dict[int, list[Link]]:
    """For each redirected sheet of the page, every sheet below it (depth first, in the order
    they were sent) with its live status and the agency holding it. One query for the whole
    page, and only when the page has a redirected sheet: a chain never leaves its case, so the
    page's cases' redirected-to sheets are all there is to walk."""
    tops = [s for s in sheets if s.status == Status.REDIRECTED]
    if not tops:
        return {}
    below: dict[int, list[Sheet]] = {}
    for child in (
        Sheet.objects.filter(case_id__in={s.case_id for s in tops}, parent__isnull=False)
        .select_related("receiver_agency", "assignee")
        .order_by("sent_at", "id")
    ):
        below.setdefault(child.parent_id or 0, []).append(child)

    def walk(pk: int, depth: int, seen: set[int]) -> list[Link]:
        links = []
        for child in below.get(pk, []):
            if child.pk not in seen:  # a chain is a tree; never loop on bad data
                seen.add(child.pk)
                links += [Link(child, depth), *walk(child.pk, depth + 1, seen)]
        return links

    return {top.pk: walk(top.pk, 1, {top.pk}) for top in tops}


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    return box(request, "inbox")


@login_required
def outbox(request: HttpRequest) -> HttpResponse:
    return box(request, "outbox")


def visible_sheet(request: HttpRequest, pk: int) -> Sheet:
    queryset = Sheet.objects.visible_to(request.user).select_related(
        "case",
        "case__agency",
        "case__district",
        "sender_agency",
        "receiver_agency",
        "liaison",
        "assignee",
        "acknowledged_by",
        "outcome",
        "parent",
    )
    return get_object_or_404(queryset, pk=pk)


def person_label(user: Any) -> str:
    """The name the sheet page writes for a user: family name (or, without one, the user name),
    a space, the given name."""
    return f"{user.last_name or user.username} {user.first_name}"


def shown_sheet(request: HttpRequest, pk: int) -> Sheet:
    """The sheet as its page shows it (visible_to: a guessed id is a 404), in one query of few
    joins: PostgreSQL plans every page's query anew, and each join adds to its search over the
    join orders, a table under row security with its policy (the sheet, its case, the two
    agencies, the district and the two users took 1.5 ms to plan, 0.3 ms to run, on 1,000,000
    sheets). The case (the rule reads it) and the liaison and the assignee (the users' table has
    no policy) are joined; the agencies, the district and the outcome, of which the page writes
    only a name, come as scalar subqueries planned alone (ColumnByKey: `sender_name`,
    `receiver_agency_name`, `district_name`, `outcome_name`); the parent comes with the
    children (related_sheets)."""
    queryset = (
        Sheet.objects.visible_to(request.user)
        .select_related("case", "liaison", "assignee")
        .annotate(
            sender_name=ColumnByKey(Agency, "sender_agency_id"),
            receiver_agency_name=ColumnByKey(Agency, "receiver_agency_id"),
            district_name=ColumnByKey(Area, "case__district_id"),
            outcome_name=ColumnByKey(Outcome, "outcome_id"),
        )
    )
    return get_object_or_404(queryset, pk=pk)


# The moves open to a viewer, by key, with their form. The sheet page renders the forms of the
# moves made every day (受理, 経過報告, 取下げ and the sender's records of an outside answer);
# the rarer moves below open their own small page from a button, so the sheet page never reads
# their choice lists (every agency for 転送, the agency's members, the outcomes).
MOVE_FORMS: dict[str, Callable[..., Form]] = {
    "acknowledge": AcknowledgeForm,
    "progress": ProgressForm,
    "close": CloseSheetForm,
    "reassign": ReassignForm,
    "redirect": RedirectForm,
    "outside_acknowledge": OutsideAcknowledgeForm,
    "outside_progress": OutsideProgressForm,
    "outside_close": OutsideCloseForm,
    "withdraw": WithdrawForm,
}
OWN_PAGE_MOVES = {
    "close": "終結する",
    "reassign": "担当者を変える",
    "redirect": "転送（つなぎ直し）",
    "outside_close": "先方からの終結の連絡を記録する",
}


def open_moves(sheet: Sheet, agency_ids: frozenset[int]) -> list[str]:
    """The moves this viewer's agencies may make on the sheet now, in the page's order."""
    is_receiver = sheet.receiver_agency_id in agency_ids
    is_sender = sheet.sender_agency_id in agency_ids
    moves = []
    if is_receiver and sheet.status == Status.SENT:
        moves.append("acknowledge")
    if is_receiver and sheet.status == Status.ACKNOWLEDGED:
        moves += ["progress", "close", "reassign"]
    if is_receiver and sheet.is_open:
        moves.append("redirect")
    if is_sender and sheet.is_outside and sheet.status == Status.SENT:
        moves.append("outside_acknowledge")
    if is_sender and sheet.is_outside and sheet.status == Status.ACKNOWLEDGED:
        moves += ["outside_progress", "outside_close"]
    if is_sender and sheet.is_open:
        moves.append("withdraw")
    return moves


@dataclass(frozen=True)
class Related:
    """The parent or a child of the sheet as its page names it: number, the agency it went to,
    the redirect's reason (a parent's end note), and whether the viewer may open it."""

    pk: int
    number: str
    parent_id: int | None
    end_note: str
    receiver_name: str
    followable: bool


def related_sheets(sheet: Sheet, request: HttpRequest) -> tuple[Related | None, list[Related]]:
    """The sheet this one was redirected from and the sheets it was redirected to, each marked
    whether the viewer may open it, in one query of plain values whatever the chain's length:
    whether a link is followable is the choke point's own condition (SheetQuerySet.visibility,
    which visible_to filters by, for this case's sheets), never worked out here; a mark on these
    few rows, not an EXISTS that PostgreSQL may answer by hashing every visible sheet (2.9 s on
    1,000,000 sheets)."""
    followable = ExpressionWrapper(
        Sheet.objects.visibility(request.user, case_id=sheet.case_id), output_field=BooleanField()
    )
    values = (
        Sheet.objects.filter(Q(parent_id=sheet.pk) | Q(pk=sheet.parent_id or 0))
        .annotate(followable=followable)
        .order_by("-sent_at", "-id")
        .values_list("pk", "number", "parent_id", "end_note", "receiver_agency__name", "followable")
    )
    rows = [
        Related(pk, number, parent_id, end_note, receiver or "", bool(mark))
        for pk, number, parent_id, end_note, receiver, mark in values
    ]
    parent = next((row for row in rows if row.pk == sheet.parent_id), None)
    return parent, [row for row in rows if row.parent_id == sheet.pk]


def render_sheet(
    request: HttpRequest, pk: int, bound: dict[str, Form] | None = None, status: int = 200
) -> HttpResponse:
    sheet = shown_sheet(request, pk)
    scope = scope_of(request.user)
    is_receiver = sheet.receiver_agency_id in scope.agency_ids
    is_sender = sheet.sender_agency_id in scope.agency_ids
    moves = open_moves(sheet, scope.agency_ids)
    forms: dict[str, Form] = {
        key: MOVE_FORMS[key](sheet=sheet) for key in moves if key not in OWN_PAGE_MOVES
    }
    forms.update(bound or {})
    if is_receiver and sheet.receiver_agency_id is not None:
        offer_phrases(forms, sheet.receiver_agency_id)
    case = sheet.case
    viewer = viewer_of(request.user)
    facts = facts_of(case)
    decision = decide(case, viewer, facts)
    view = view_for(case, decision, year=local_date(viewer.now).year)
    # A named sheet's text was written for named readers: once the basis no longer names the
    # viewer (consent withdrawn or expired) it is not shown; an anonymised sheet's own text
    # was written for readers without names.
    shows_text = sheet.is_anonymised or view.shows_people
    parent, children = related_sheets(sheet, request)
    context = {
        "shows_text": shows_text,
        "sheet": sheet,
        "case": case,
        "view": view,
        "shows_people": view.shows_people,
        "tag_names": case.tags.values_list("name", flat=True),
        "events": timeline(
            sheet.events.all(), {sheet.pk: sheet.number}, None if shows_text else set()
        ),
        "parent": parent,
        "children": children,
        "forms": forms,
        "own_page_moves": [(key, OWN_PAGE_MOVES[key]) for key in moves if key in OWN_PAGE_MOVES],
        "is_receiver": is_receiver,
        "is_sender": is_sender,
        "liaison_label": person_label(sheet.liaison),
        "assignee_label": person_label(sheet.assignee) if sheet.assignee else "",
        "may_print": printout.may_print(decision, printout.receiver_decision(sheet, facts)),
        "now": timezone.now(),
    }
    # The read is written (and committed) before the page is rendered: a page showing the case
    # never leaves without its trace, and a failed write raises, so there is no page. No
    # transaction around both: rolling the row back when rendering fails would only hide a read
    # the server did make, and it would cost two statements on every sheet page.
    record_access(
        request, case, "シートの詳細", (sheet.receiver_agency_id or 0, sheet.sender_agency_id)
    )
    return page_or_partial(request, "sheets/sheet_detail.html", "sheet-live", context, status)


def render_move_page(
    request: HttpRequest, sheet: Sheet, key: str, form: Form, status: int = 200
) -> HttpResponse:
    """One of the rarer moves on its own page: the sheet's number and who holds it, and the form
    (no case contents, so nothing to record in the read log)."""
    if sheet.receiver_agency_id in scope_of(request.user).agency_ids and sheet.receiver_agency_id:
        offer_phrases({key: form}, sheet.receiver_agency_id)
    context = {"sheet": sheet, "key": key, "title": OWN_PAGE_MOVES[key], "form": form}
    return render(request, "sheets/move.html", context, status=status)


def offer_phrases(forms: dict[str, Form], agency_id: int) -> None:
    """The receiving agency's 定型文 beside the textareas of its moves (one query, if any)."""
    wanted = {use for form in forms.values() for use in getattr(form, "phrase_fields", {}).values()}
    if not wanted:
        return
    grouped = by_use(phrases_of([agency_id], wanted))
    for form in forms.values():
        fields = getattr(form, "phrase_fields", {})
        if fields:
            form.phrases = {name: grouped.get(use, []) for name, use in fields.items()}  # type: ignore[attr-defined]


@login_required
def sheet_detail(request: HttpRequest, pk: int) -> HttpResponse:
    # render_sheet records the read and renders in one transaction: no outer one (a savepoint).
    return render_sheet(request, pk)


# A move may return a sentence to add to the success message.
Move = Callable[[HttpRequest, Sheet, dict[str, Any]], object]


def due_label(moment: datetime | None) -> str:
    return format_datetime(moment) if moment else "—"


def act(
    request: HttpRequest, pk: int, key: str, form_class: Callable[..., Form], move: Move, done: str
) -> HttpResponse:
    """The shape of every move: scoped fetch (404), form, one model method, message, redirect."""
    sheet = visible_sheet(request, pk)
    own_page = key in OWN_PAGE_MOVES
    if request.method != "POST":
        if own_page and key in open_moves(sheet, scope_of(request.user).agency_ids):
            return render_move_page(request, sheet, key, form_class(sheet=sheet))
        return redirect("sheets:detail", pk=sheet.pk)
    form = form_class(request.POST, sheet=sheet)
    if not form.is_valid():
        messages.error(request, "入力内容を確認してください。まだ何も変わっていません。")
        if own_page:
            return render_move_page(request, sheet, key, form, status=400)
        return render_sheet(request, sheet.pk, {key: form}, status=400)
    try:
        said = move(request, sheet, form.cleaned_data)
    except SheetError as error:
        messages.error(request, str(error))
    else:
        extra = said if isinstance(said, str) else ""
        messages.success(request, done.format(sheet=sheet) + extra)
    if wants_partial(request):
        # htmx replaces the page's region with the sheet as it is now (no redirect to follow).
        return render_sheet(request, pk)
    return redirect("sheets:detail", pk=sheet.pk)


@login_required
def acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    def move(request: HttpRequest, sheet: Sheet, data: dict[str, Any]) -> None:
        sheet.acknowledge(by=user_of(request), assignee=data["assignee"], roles=data["roles"])

    return act(
        request, pk, "acknowledge", AcknowledgeForm, move, "シート {sheet.number} を受理しました。"
    )


@login_required
def progress(request: HttpRequest, pk: int) -> HttpResponse:
    def move(request: HttpRequest, sheet: Sheet, data: dict[str, Any]) -> str:
        before = sheet.follow_up_due_at
        if sheet.report_progress(by=user_of(request), text=data["text"]):
            return f"次の経過報告の期限が {due_label(sheet.follow_up_due_at)} に延びました。"
        # Counted from the day of the report: a report on the day of the acknowledgement (or
        # of the last report) leaves the deadline where it was, and the page says so.
        return (
            f"経過報告の期限は {due_label(before)} のままです"
            "（期限は報告した日から数えるため、受理や前の報告と同じ日の報告では延びません）。"
        )

    return act(request, pk, "progress", ProgressForm, move, "経過を報告しました。")


@login_required
def reassign(request: HttpRequest, pk: int) -> HttpResponse:
    def move(request: HttpRequest, sheet: Sheet, data: dict[str, Any]) -> None:
        sheet.reassign(by=user_of(request), assignee=data["assignee"])

    return act(
        request,
        pk,
        "reassign",
        ReassignForm,
        move,
        "シート {sheet.number} の担当者を変えました。新しい担当者に通知しました。",
    )


@login_required
def close(request: HttpRequest, pk: int) -> HttpResponse:
    def move(request: HttpRequest, sheet: Sheet, data: dict[str, Any]) -> None:
        sheet.close(by=user_of(request), outcome=data["outcome"], note=data["note"])

    return act(request, pk, "close", CloseSheetForm, move, "シート {sheet.number} を終結しました。")


@login_required
def redirect_sheet(request: HttpRequest, pk: int) -> HttpResponse:
    def move(request: HttpRequest, sheet: Sheet, data: dict[str, Any]) -> None:
        child = sheet.redirect(
            by=user_of(request),
            to=data["to"],
            reason=data["reason"],
            request=data["request"],
            continuing=data["continuing"],
        )
        messages.info(request, f"新しいシート {child.number} を{child.receiver_name}へ送りました。")

    return act(
        request,
        pk,
        "redirect",
        RedirectForm,
        move,
        "シート {sheet.number} を転送しました。"
        "送付元の連携担当（と、その前の送付元）に通知しました。",
    )


@login_required
def withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    def move(request: HttpRequest, sheet: Sheet, data: dict[str, Any]) -> None:
        sheet.withdraw(by=user_of(request), reason=data["reason"])

    return act(
        request, pk, "withdraw", WithdrawForm, move, "シート {sheet.number} を取り下げました。"
    )


# --- outside tsumugi (電話・FAX・手渡し): the sender records the hand-off and the answers


@login_required
@transaction.atomic
def hand_over(request: HttpRequest, case_pk: int) -> HttpResponse:
    case = visible_case(request, case_pk)
    agencies = my_agencies(request)
    if not agencies:
        raise Http404("引き継げる機関に所属していません。")
    if case.status != Case.Status.OPEN:
        messages.error(request, "終結した相談からは引き継げません。")
        return redirect("cases:detail", pk=case.pk)
    named = named_agency_ids(case)
    form = HandOverForm(posted(request), case=case, agencies=agencies, named=named)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            sheet = Sheet.hand_over(
                case=case,
                by=user_of(request),
                sender_agency=data["sender_agency"],
                handover=data["handover"],
                handed_at=data["handed_at"],
                receiver_agency=data["receiver_agency"],
                outside_receiver=data["outside_receiver"],
                outside_contact=data["outside_contact"],
                request=data["request"],
                sender_continuing=data["sender_continuing"],
                shared_info=data["shared_info"],
                urgency=data["urgency"],
            )
        except SheetError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                f"{sheet.receiver_name}への引継ぎをシート {sheet.number} として記録しました。"
                "先方の返事（受理・経過報告・終結）も、このページで記録してください。",
            )
            return redirect("sheets:detail", pk=sheet.pk)
    record_access(request, case, "引継ぎの記録")
    context = {"case": case, "form": form, "note": anonymisation_note(case, named)}
    status = 400 if form.is_bound else 200
    return render(request, "sheets/hand_over.html", context, status=status)


@login_required
def outside_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    def move(request: HttpRequest, sheet: Sheet, data: dict[str, Any]) -> None:
        sheet.record_acknowledgement(
            by=user_of(request), way=data["way"], assignee=data["assignee"], roles=data["roles"]
        )

    done = "先方の受理を記録しました。"
    return act(request, pk, "outside_acknowledge", OutsideAcknowledgeForm, move, done)


@login_required
def outside_progress(request: HttpRequest, pk: int) -> HttpResponse:
    def move(request: HttpRequest, sheet: Sheet, data: dict[str, Any]) -> None:
        sheet.record_progress(by=user_of(request), way=data["way"], text=data["text"])

    done = "先方からの経過報告を記録しました。"
    return act(request, pk, "outside_progress", OutsideProgressForm, move, done)


@login_required
def outside_close(request: HttpRequest, pk: int) -> HttpResponse:
    def move(request: HttpRequest, sheet: Sheet, data: dict[str, Any]) -> None:
        sheet.record_close(
            by=user_of(request), way=data["way"], outcome=data["outcome"], note=data["note"]
        )

    done = "シート {sheet.number} の終結を記録しました。"
    return act(request, pk, "outside_close", OutsideCloseForm, move, done)


# --- the sheet on paper (sheets/printout.py) ---------------------------------------------


def printable_sheet(request: HttpRequest, pk: int) -> tuple[Sheet, bool]:
    """The sheet (404 outside the choke point) and whether this viewer may print it: only
    someone the rule shows at least what it shows the receiver."""
    sheet = visible_sheet(request, pk)
    facts = facts_of(sheet.case)
    mine = decide(sheet.case, viewer_of(request.user), facts)
    return sheet, printout.may_print(mine, printout.receiver_decision(sheet, facts))


@login_required
def print_sheet(request: HttpRequest, pk: int) -> HttpResponse:
    """GET shows today's printout of the sheet as it stands (作成中, refreshing itself, then
    the download link); POST asks the worker for it."""
    sheet, allowed = printable_sheet(request, pk)
    if not allowed:
        return render(request, "sheets/print.html", {"sheet": sheet, "refused": True}, status=403)
    if request.method == "POST":
        with transaction.atomic():
            printout.printout_for(sheet)
        return redirect("sheets:print", pk=sheet.pk)
    current = printout.current_printout(sheet)
    if current is not None:
        printout.hand_over_if_stalled(current)
    context = {"sheet": sheet, "printout": current}
    response = render(request, "sheets/print.html", context)
    response["Cache-Control"] = "no-store"
    return response


@login_required
def print_file(request: HttpRequest, pk: int) -> HttpResponseBase:
    """The file of today's printout, only while it is the sheet as it stands (a consent
    withdrawn since makes a new key, so an older file with names is never served again)."""
    sheet, allowed = printable_sheet(request, pk)
    current = printout.current_printout(sheet) if allowed else None
    if current is None or not current.is_ready:
        return redirect("sheets:print", pk=sheet.pk)
    with transaction.atomic():
        _, first = SheetPrint.objects.get_or_create(
            printout=current,
            user=user_of(request),
            defaults={"sheet": sheet, "masked": current.masked, "ip": client_address(request)},
        )
        if first:
            record_access(
                request,
                sheet.case,
                "シートの印刷",
                (sheet.sender_agency_id, sheet.receiver_agency_id or 0),
            )
    return download(current, f"sheet-{sheet.number}.pdf")
