"""Consultation pages: list, intake, detail with chain and timeline, edit, close, search, and the
"who saw this case" log. Every fetch goes through Case.objects.visible_to (guessed id → 404);
every page that shows a case's contents writes one Access row in the same transaction."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.http import require_POST

from areas.calendar import business_calendar
from areas.models import Agency
from areas.scope import scope_of
from tsumugi.lib.dates import local_date
from tsumugi.lib.forms import normalise
from tsumugi.lib.names import match_key
from tsumugi.lib.text import search_key

from . import hooks, residents
from .audit import record_access, record_accesses
from .forms import (
    BasePersonFormSet,
    CaseEditForm,
    CaseFilterForm,
    CloseCaseForm,
    ConsentForm,
    ConsultationForm,
    PersonFormSet,
    SearchForm,
    WithdrawConsentForm,
)
from .http import my_agencies, posted, user_of, visible_case
from .intake import PersonData, open_case
from .models import Access, Basis, Case, CaseError, Consent, Person, Resident
from .privacy import (
    CaseView,
    ConsentError,
    case_view,
    person_views,
    record_consent,
    withdraw_consent,
)
from .residents import Candidate, candidates_for, cases_shown
from .timeline import timeline

if TYPE_CHECKING:
    from sheets.models import Sheet

CASES_PER_PAGE = 25
CASE_NUMBER = re.compile(r"^\d{4}-?\d{0,5}$")


@login_required
def case_list(request: HttpRequest) -> HttpResponse:
    form = CaseFilterForm(request.GET or None)
    cutoff = business_calendar().quiet_cutoff(
        local_date(timezone.now()), settings.HOLDING_FLAG_BUSINESS_DAYS
    )
    cases = (
        Case.objects.listed_for(request.user)
        .with_holding_flag(cutoff)
        .select_related("agency", "district")
        .prefetch_related("tags")
    )
    if form.is_valid():
        data = form.cleaned_data
        if data["status"]:
            cases = cases.filter(status=data["status"])
        if data["district"]:
            cases = cases.filter(district=data["district"])
        if data["tag"]:
            cases = cases.filter(tags=data["tag"])
        if data["holding"]:
            cases = cases.holding(cutoff)
    page = Paginator(cases, CASES_PER_PAGE).get_page(request.GET.get("page"))
    context = {"form": form, "page": page, "holding_days": settings.HOLDING_FLAG_BUSINESS_DAYS}
    return render(request, "cases/case_list.html", context)


FIND_MATCHES = "find_matches"


@login_required
@transaction.atomic
def case_new(request: HttpRequest) -> HttpResponse:
    agencies = my_agencies(request)
    if not agencies:
        raise Http404("相談を受け付ける機関に所属していません。")
    form = ConsultationForm(posted(request), agencies=agencies)
    people = cast(BasePersonFormSet, PersonFormSet(posted(request), prefix="people"))
    # 「同じ人の相談を探す」 (the no-JavaScript way) re-renders everything typed, with candidates.
    finding = request.method == "POST" and FIND_MATCHES in request.POST
    matches = intake_matches(request, people) if request.method == "POST" else []
    if request.method == "POST" and not finding and form.is_valid() and people.is_valid():
        try:
            rows = [
                PersonData(
                    name=row["name"],
                    kana=row["kana"],
                    birth_year=row["birth_year"],
                    relation=row["relation"],
                    is_primary=row["is_primary"],
                    resident=resident_of_choice(matches, row),
                )
                for row in people.people()
            ]
        except CaseError as error:
            form.add_error(None, str(error))
        else:
            data = form.cleaned_data
            case = open_case(
                agency=data["agency"],
                by=user_of(request),
                district=data["district"],
                channel=data["channel"],
                summary=data["summary"],
                basis=data["basis"],
                tags=data["tags"],
                people=rows,
                consent_agencies=data["consent_agencies"],
                consent_scope=data["consent_scope"],
                consent_kinds=data["consent_kinds"],
                consent_method=data["consent_method"],
                consent_expires_on=data["consent_expires_on"],
                support_body=data["support_body"],
                shared_summary=data["shared_summary"],
                received_at=data["received_at"],
                household=data["household"],
            )
            messages.success(request, f"相談 {case.number} を受け付けました。")
            return redirect("cases:detail", pk=case.pk)
    status = 400 if request.method == "POST" and not finding else 200
    context = {"form": form, "people": people, "matches": matches, "searched": finding}
    return render(request, "cases/case_new.html", context, status=status)


@login_required
@require_POST
@transaction.atomic
def case_match(request: HttpRequest) -> HttpResponse:
    """The candidates while typing (static/js/resident-match.js posts the people rows here:
    names go in the body, never in a URL or an access log; CSRF applies as to any POST)."""
    agencies = scope_of(request.user).agency_ids
    if not Agency.objects.active().filter(pk__in=agencies).exists():
        raise Http404("相談を受け付ける機関に所属していません。")
    people = cast(BasePersonFormSet, PersonFormSet(request.POST, prefix="people"))
    context = {"matches": intake_matches(request, people), "searched": True}
    # A fragment of the intake page: no page context (menus, badges) to compute.
    return HttpResponse(render_to_string("cases/_resident_candidates.html", context))


@dataclass(frozen=True)
class RowMatches:
    """The candidates for one typed person (the index-th row of the people formset)."""

    index: int
    key: str
    candidates: list[Candidate]
    selected: int | None

    @property
    def number(self) -> int:
        return self.index + 1


def intake_matches(request: HttpRequest, people: BasePersonFormSet) -> list[RowMatches]:
    """Candidates for every typed person with a name, reading and birth year, in one query;
    showing them is a read of those consultations (閲覧記録)."""
    typed: list[tuple[int, str, int | None]] = []
    try:
        forms = list(people.forms)
    except ValidationError:
        forms = []  # no management form: nothing typed
    for index, person in enumerate(forms):
        if person.is_valid() and person.cleaned_data.get("name"):
            data = person.cleaned_data
            key = match_key(data["name"], data.get("kana", ""), data.get("birth_year"))
            if key:
                typed.append((index, key, data.get("same_as")))
    found = candidates_for(request.user, [key for _, key, _ in typed])
    if found:
        record_accesses(request, cases_shown(found), "受付時の同じ人の確認")
    return [
        RowMatches(index, key, found[key], selected)
        for index, key, selected in typed
        if key in found
    ]


def resident_of_choice(matches: list[RowMatches], row: dict[str, Any]) -> Resident | None:
    """The resident the counter chose for a typed row; refuses an id that was not among this
    user's candidates for that row (forged, or typed over since)."""
    choice = row.get("same_as")
    if choice is None:
        return None
    key = match_key(row["name"], row["kana"], row["birth_year"])
    found = {match.key: match.candidates for match in matches}
    return residents.resident_of_choice(found, key, choice)


@dataclass
class ChainNode:
    sheet: Sheet
    children: list[ChainNode]


def referral_chain(sheets: list[Sheet]) -> list[ChainNode]:
    nodes = {s.pk: ChainNode(s, []) for s in sheets}
    roots: list[ChainNode] = []
    for sheet in sheets:
        parent = nodes.get(sheet.parent_id) if sheet.parent_id else None
        (parent.children if parent else roots).append(nodes[sheet.pk])
    return roots


@dataclass(frozen=True)
class RevisionView:
    number: int
    at: Any
    view: CaseView


def revision_views(case: Case, view: CaseView) -> list[RevisionView]:
    """The earlier versions of the summary and people, only for a viewer the basis names for
    the full summary (the same decision as the case page's own)."""
    if not view.decision.shows_summary:
        return []
    year = timezone.localdate().year
    return [
        RevisionView(
            rev.number,
            rev.at,
            CaseView(
                case,
                view.decision,
                person_views([Person(**p) for p in rev.people], True, year),
                rev.summary,
            ),
        )
        for rev in case.revisions.all()
    ]


def case_context(request: HttpRequest, case: Case) -> dict[str, Any]:
    scope = scope_of(request.user)
    view = case_view(case, request.user)
    shows_people = view.shows_people
    sheets = list(
        case.sheets.select_related(
            "sender_agency", "receiver_agency", "assignee", "outcome"
        ).order_by("sent_at", "id")
    )
    my_sheet_ids = {
        s.pk
        for s in sheets
        if s.sender_agency_id in scope.agency_ids or s.receiver_agency_id in scope.agency_ids
    }
    # Sheet.objects.visible_to, per sheet of this case: only these get a link (point 11).
    followable = (
        {s.pk for s in sheets}
        if case.district_id in scope.coordinator_district_ids
        else my_sheet_ids
    )
    # Free text on the case itself may name people; an anonymised reader sees only the text of
    # the lines of the sheets they are party to.
    numbers = {s.pk: s.number for s in sheets}
    # Of those, only anonymised sheets' text was written for readers without names.
    anonymous_mine = {s.pk for s in sheets if s.pk in my_sheet_ids and s.is_anonymised}
    events = timeline(case.events.all(), numbers, None if shows_people else anonymous_mine)
    events = residents.visible_lines(request.user, case, events, shows_people)
    is_owner = case.agency_id in scope.agency_ids
    return {
        "case": case,
        "view": view,
        "shows_people": shows_people,
        "tags": case.tags.all(),
        "consents": list(case.consents.prefetch_related("agencies")) if shows_people else (),
        "revisions": revision_views(case, view),
        "now": timezone.now(),
        "chain": referral_chain(sheets),
        "followable": followable,
        "sheets": sheets,
        "events": events,
        "can_edit": is_owner and case.status == Case.Status.OPEN,
        "can_record_consent": is_owner and case.basis == Basis.CONSENT,
        "consent_form": ConsentForm(),
        "can_issue": case.status == Case.Status.OPEN and bool(scope.agency_ids),
        "can_see_accesses": sees_accesses(request),
        "close_form": CloseCaseForm(),
        # Sections other apps add (plans: 支援決定 and the 支援プラン), rendered for this viewer.
        "panels": hooks.case_panels(request, case),
    }


def sees_accesses(request: HttpRequest) -> bool:
    scope = scope_of(request.user)
    return bool(scope.supervisor_agency_ids or scope.coordinator_district_ids)


@login_required
@transaction.atomic
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    case = visible_case(request, pk)
    context = case_context(request, case)
    record_access(request, case, "相談の詳細")
    return render(request, "cases/case_detail.html", context)


@login_required
@transaction.atomic
def case_edit(request: HttpRequest, pk: int) -> HttpResponse:
    case = visible_case(request, pk)
    if case.agency_id not in scope_of(request.user).agency_ids:
        raise PermissionDenied("相談内容を修正できるのは受付機関の職員だけです。")
    form = CaseEditForm(posted(request), case=case)
    # The rows for adding people are optional: a post without them adds nobody.
    data = posted(request)
    adding = data if data is not None and "people-TOTAL_FORMS" in data else None
    people = cast(BasePersonFormSet, PersonFormSet(adding, prefix="people"))
    people_ok = adding is None or people.is_valid()
    if request.method == "POST" and form.is_valid() and people_ok:
        try:
            with transaction.atomic():
                changed = case.edit(
                    by=user_of(request),
                    expected_version=form.cleaned_data["version"],
                    values=form.model_values(),
                    tags=form.cleaned_data["tags"],
                    new_people=people.people(default_primary=False) if adding else [],
                )
        except CaseError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                f"相談 {case.number} を保存しました（{'、'.join(changed) or '変更なし'}）。",
            )
            return redirect("cases:detail", pk=case.pk)
    record_access(request, case, "相談の修正")
    status = 400 if request.method == "POST" else 200
    context = {"case": case, "form": form, "people": people, "view": case_view(case, request.user)}
    return render(request, "cases/case_edit.html", context, status=status)


@login_required
def case_close(request: HttpRequest, pk: int) -> HttpResponse:
    case = visible_case(request, pk)
    if request.method != "POST":
        return redirect("cases:detail", pk=case.pk)
    form = CloseCaseForm(request.POST)
    if case.agency_id not in scope_of(request.user).agency_ids:
        messages.error(request, "相談を終結できるのは受付機関の職員だけです。")
    elif not form.is_valid():
        messages.error(
            request, "終結の理由: " + " ".join(str(e) for e in form.errors.get("note", []))
        )
    else:
        try:
            case.close(by=user_of(request), note=form.cleaned_data["note"])
        except CaseError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, f"相談 {case.number} を終結しました。")
    return redirect("cases:detail", pk=case.pk)


@login_required
@transaction.atomic
def case_search(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET or None)
    results: list[Case] = []
    query = ""
    if form.is_valid() and (query := form.cleaned_data["q"].strip()):
        results = search_cases(request, query)
        record_accesses(
            request, [c for c in results if getattr(c, "shows_people", False)], "検索結果"
        )
    return render(
        request, "cases/case_search.html", {"form": form, "results": results, "query": query}
    )


SEARCH_LIMIT = 50


def search_cases(request: HttpRequest, query: str) -> list[Case]:
    """Cases matching a number prefix or a name/kana, within what the reader may see; names
    match only where the reader may see names (else a hit would leak that a named person is
    in an anonymised case). Each kind of hit is its own index-driven query (number prefix;
    name via the person index, trigram on PostgreSQL), then one query fetches the page."""
    visible = Case.objects.visible_to(request.user)
    newest = ("-received_at", "-id")
    ids: list[int] = []
    text = normalise(query)
    if CASE_NUMBER.match(text):
        prefix = text if "-" in text or len(text) <= 4 else f"{text[:4]}-{text[4:]}"
        hits = visible.filter(number__startswith=prefix).order_by(*newest)
        ids += hits.values_list("pk", flat=True)[:SEARCH_LIMIT]
    key = search_key(query)
    if key:
        named = Person.objects.filter(search_key__contains=key).values("case_id")
        # shows_people implies visible_to (each of its clauses is one of visible_to's), so the
        # name query leaves visible_to to the final query over at most 2 × 50 ids.
        with_names = Case.objects.with_personal_visibility(request.user)
        hits = with_names.filter(pk__in=named, shows_people=True).order_by(*newest)
        ids += hits.values_list("pk", flat=True)[:SEARCH_LIMIT]
    people = Prefetch(
        "people",
        queryset=Person.objects.filter(search_key__contains=key) if key else Person.objects.none(),
        to_attr="matched",
    )
    found = (
        visible.with_personal_visibility(request.user)
        .filter(pk__in=ids)
        .select_related("agency", "district")
        .prefetch_related("tags", people)
        .order_by(*newest)[:SEARCH_LIMIT]
    )
    cases: list[Case] = list(found)
    for case in cases:
        # Through the view object: labels only where the rule shows people (else none).
        matched = cast(list[Person], getattr(case, "matched", []))
        shown = person_views(matched, bool(getattr(case, "shows_people", False)), 0)
        case.matched_labels = [p.full for p in shown if p.name]  # type: ignore[attr-defined]
    return cases


@login_required
def consent_new(request: HttpRequest, pk: int) -> HttpResponse:
    """The receiving counter records a consent obtained now (e.g. at a second visit)."""
    case = visible_case(request, pk)
    if request.method != "POST":
        return redirect("cases:detail", pk=case.pk)
    if case.agency_id not in scope_of(request.user).agency_ids:
        raise PermissionDenied("本人同意を記録できるのは受付機関の職員だけです。")
    if case.basis != Basis.CONSENT:
        messages.error(
            request, "本人同意を記録するには、先に情報共有の根拠を「本人同意」に修正してください。"
        )
        return redirect("cases:detail", pk=case.pk)
    form = ConsentForm(request.POST)
    if not form.is_valid():
        errors = [str(e) for field in form.errors.values() for e in field]
        messages.error(request, "同意を記録できませんでした: " + " ".join(errors))
        return redirect("cases:detail", pk=case.pk)
    data = form.cleaned_data
    try:
        record_consent(
            case,
            by=user_of(request),
            agencies=data["consent_agencies"],
            kinds=data["consent_kinds"],
            method=data["consent_method"],
            expires_on=data["consent_expires_on"],
            note=data["consent_scope"],
        )
    except ConsentError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "本人同意を記録しました。いまから有効です。")
    return redirect("cases:detail", pk=case.pk)


@login_required
def consent_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    """撤回: from now on every place that showed the case only by this consent shows the
    de-identified view (views are derived from the rule, never stored)."""
    case = visible_case(request, pk)
    if request.method != "POST":
        return redirect("cases:detail", pk=case.pk)
    if case.agency_id not in scope_of(request.user).agency_ids:
        raise PermissionDenied("同意の撤回を記録できるのは受付機関の職員だけです。")
    form = WithdrawConsentForm(request.POST)
    if not form.is_valid():
        messages.error(request, "撤回の内容を書いてください。まだ何も変わっていません。")
        return redirect("cases:detail", pk=case.pk)
    consent = Consent.objects.filter(case=case, pk=form.cleaned_data["consent"]).first()
    if consent is None:
        raise Http404("この相談の同意ではありません。")
    try:
        withdraw_consent(consent, by=user_of(request), note=form.cleaned_data["note"])
    except ConsentError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "同意の撤回を記録しました。共有先には匿名の内容だけが見えます。")
    return redirect("cases:detail", pk=case.pk)


@login_required
def case_accesses(request: HttpRequest, pk: int) -> HttpResponse:
    case = visible_case(request, pk)
    if not sees_accesses(request):
        raise PermissionDenied("閲覧記録は責任者とコーディネーターだけが見られます。")
    accesses = Access.objects.filter(case=case).select_related("user", "agency")
    page = Paginator(accesses, 50).get_page(request.GET.get("page"))
    return render(request, "cases/case_accesses.html", {"case": case, "page": page})
