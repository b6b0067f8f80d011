"""定型文 pages: every member sees their agencies' phrases; an agency's own 管理者 and 責任者
add, change and delete them (sheets/phrases.py). Another agency's phrase is a 404."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from areas.models import Agency
from areas.scope import scope_of

from .forms import PhraseForm
from .models import Phrase, PhraseUse
from .phrases import kept_agencies, kept_agency_ids


@login_required
def phrase_list(request: HttpRequest) -> HttpResponse:
    keeper_of = kept_agency_ids(request.user)
    ids = scope_of(request.user).agency_ids | keeper_of
    agencies = list(Agency.objects.active().filter(pk__in=ids).order_by("name"))
    grouped: dict[int, dict[str, list[Phrase]]] = {a.pk: {} for a in agencies}
    for phrase in Phrase.objects.filter(agency_id__in=list(grouped)):
        grouped[phrase.agency_id].setdefault(phrase.use, []).append(phrase)
    sections = [
        (
            agency,
            agency.pk in keeper_of,
            [(label, grouped[agency.pk].get(use, [])) for use, label in PhraseUse.choices],
        )
        for agency in agencies
    ]
    return render(request, "sheets/phrase_list.html", {"sections": sections})


def kept_phrase(request: HttpRequest, pk: int) -> Phrase:
    keepable = Phrase.objects.filter(agency_id__in=kept_agency_ids(request.user))
    return get_object_or_404(keepable.select_related("agency"), pk=pk)


def phrase_form(
    request: HttpRequest, agency: Agency, phrase: Phrase | None, title: str
) -> HttpResponse:
    data = request.POST if request.method == "POST" else None
    form = PhraseForm(data, instance=phrase, agency=agency)
    if data is not None and form.is_valid():
        form.save()
        messages.success(request, f"{agency.name}の定型文を保存しました。")
        return redirect("sheets:phrases")
    context = {"form": form, "agency": agency, "phrase": phrase, "title": title}
    return render(request, "sheets/phrase_form.html", context, status=400 if form.is_bound else 200)


@login_required
def phrase_new(request: HttpRequest, agency_pk: int) -> HttpResponse:
    agency = get_object_or_404(kept_agencies(request.user), pk=agency_pk)
    return phrase_form(request, agency, None, f"定型文を追加する（{agency.name}）")


@login_required
def phrase_edit(request: HttpRequest, pk: int) -> HttpResponse:
    phrase = kept_phrase(request, pk)
    return phrase_form(request, phrase.agency, phrase, f"定型文を直す（{phrase.agency.name}）")


@require_POST
@login_required
def phrase_delete(request: HttpRequest, pk: int) -> HttpResponse:
    # A phrase is the agency's own wording, not a record of anything that happened: deleted.
    phrase = kept_phrase(request, pk)
    phrase.delete()
    messages.success(request, f"{phrase.agency.name}の定型文を削除しました。")
    return redirect("sheets:phrases")
