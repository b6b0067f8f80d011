"""Resident pages: one person across consultations, linking and unlinking, and the
くらし連携支援室's 名寄せ候補. What each page may show is decided in cases/residents.py (named
consultations only); a page with nothing to show is a 404, never "no access"."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from areas.models import Agency
from areas.scope import scope_of

from . import residents
from .audit import record_accesses
from .forms import DismissForm, DuplicateConfirmForm, LinkForm
from .http import user_of
from .models import CaseError, Person

GROUPS_PER_PAGE = 20


def named_person(request: HttpRequest, pk: int) -> Person:
    """A person of a consultation the user may see with names, else a 404."""
    named = residents.named_cases(request.user).values("pk")
    person = (
        Person.objects.select_related("case", "resident").filter(pk=pk, case_id__in=named).first()
    )
    if person is None:
        raise Http404("この人の相談は表示できません。")
    return person


@login_required
@transaction.atomic
def resident_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        page = residents.resident_page(request.user, pk)
    except Person.DoesNotExist:
        raise Http404("この人の相談は表示できません。") from None
    record_accesses(request, page.cases(), "住民のページ")
    context = {
        "page": page,
        "may_move": {
            s.case.pk for s in page.candidates if residents.may_move(request.user, s.case)
        },
        "page_movable": residents.may_move(request.user, page.person.case),
    }
    return render(request, "cases/resident_detail.html", context)


@login_required
@require_POST
def resident_link(request: HttpRequest, pk: int) -> HttpResponse:
    """結ぶ from a resident page: the other person joins this one's resident if the user's
    agency holds the other's case, else this one joins the other's (the move is always on a
    case of the user's own agency, or by the くらし連携支援室)."""
    person = named_person(request, pk)
    form = LinkForm(request.POST)
    if not form.is_valid():
        raise Http404("結ぶ相手が正しくありません。")
    other = named_person(request, form.cleaned_data["other"])
    if not person.match_key or other.match_key != person.match_key:
        raise Http404("氏名・ふりがな・生まれ年が同じ人だけを結べます。")
    if other.resident_id == person.resident_id:
        messages.info(request, "すでに同じ人として結ばれています。")
        return redirect("cases:resident", pk=person.pk)
    if residents.may_move(request.user, other.case) and person.resident is not None:
        moving, target = other, person.resident
    elif residents.may_move(request.user, person.case) and other.resident is not None:
        moving, target = person, other.resident
    else:
        messages.error(request, "結ぶことができるのは、自分の機関で受け付けた相談の人だけです。")
        return redirect("cases:resident", pk=person.pk)
    residents.link(
        moving,
        target,
        by=user_of(request),
        agency_id=residents.acting_agency(request.user, moving.case),
    )
    messages.success(request, "同じ人として結びました。それぞれの相談の経過に記録しました。")
    return redirect("cases:resident", pk=person.pk)


@login_required
@require_POST
def resident_unlink(request: HttpRequest, pk: int) -> HttpResponse:
    person = named_person(request, pk)
    back = LinkForm(request.POST)
    page_pk = back.cleaned_data["other"] if back.is_valid() else person.pk
    if not residents.may_move(request.user, person.case):
        messages.error(request, "結びを解けるのは、自分の機関で受け付けた相談の人だけです。")
        return redirect("cases:resident", pk=page_pk)
    try:
        residents.unlink(
            person,
            by=user_of(request),
            agency_id=residents.acting_agency(request.user, person.case),
        )
    except CaseError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "結びを解きました。もう一度結ぶこともできます。")
    try:
        named_person(request, page_pk)
    except Http404:
        page_pk = person.pk
    return redirect("cases:resident", pk=page_pk)


def office_only(request: HttpRequest) -> None:
    if not residents.sees_duplicates(request.user):
        raise Http404("名寄せ候補は、連携の調整役の機関だけが見られます。")


@login_required
@transaction.atomic
def duplicates(request: HttpRequest) -> HttpResponse:
    """名寄せ候補: people across the city who share a match key but not a resident."""
    office_only(request)
    page = Paginator(residents.duplicate_groups(), GROUPS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    groups = residents.groups_page(request.user, list(page.object_list))
    # Only the cases whose people the rule shows the office are a read of personal details.
    named = {row.case.pk: row.case for g in groups for row in g.rows if row.person.name}
    record_accesses(request, list(named.values()), "名寄せ候補")
    context: dict[str, Any] = {"page": page, "groups": groups}
    return render(request, "cases/duplicates.html", context)


@login_required
@require_POST
def duplicates_confirm(request: HttpRequest) -> HttpResponse:
    office_only(request)
    form = DuplicateConfirmForm(request.POST)
    if not form.is_valid():
        messages.error(request, "同じ人として結ぶ人を二人以上選んでください。")
        return redirect("cases:duplicates")
    try:
        moved = residents.confirm(
            form.cleaned_data["people"],
            by=user_of(request),
            agency_id=office_agency(request),
        )
    except CaseError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"同じ人として結びました（{moved}件の相談の経過に記録）。")
    return redirect("cases:duplicates")


@login_required
@require_POST
def duplicates_dismiss(request: HttpRequest) -> HttpResponse:
    office_only(request)
    form = DismissForm(request.POST)
    if not form.is_valid():
        messages.error(request, "見送る候補が正しくありません。")
        return redirect("cases:duplicates")
    try:
        residents.dismiss(
            form.cleaned_data["person"],
            by=user_of(request),
            agency_id=office_agency(request),
            note=form.cleaned_data["note"],
        )
    except CaseError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request, "別の人として見送りました。新しく同じ候補の人が登録されるまで出しません。"
        )
    return redirect("cases:duplicates")


def office_agency(request: HttpRequest) -> int:
    """The coordination office the user acts for (scope.city_wide guarantees one)."""
    ids = scope_of(request.user).agency_ids
    office = Agency.objects.filter(pk__in=ids, is_coordination_office=True).order_by("pk").first()
    if office is None:
        raise Http404("名寄せ候補は、連携の調整役の機関だけが見られます。")
    return office.pk
