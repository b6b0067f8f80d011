"""A case edit keeps the earlier summary and people as a revision, readable by those the basis
names and by nobody else (issue 9 item 9)."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from cases.models import CaseRevision
from tests.conftest import World, make_case, make_sheet


def test_an_edit_keeps_the_earlier_summary_for_those_who_may_see_it(
    client: Client, world: World
) -> None:
    case = make_case(world)  # the consent names B
    make_sheet(world, case)
    before = case.summary
    case.edit(
        by=world.alice,
        expected_version=case.version,
        values={"summary": "長男が週1回外出するようになった。"},
        tags=case.tags.all(),
    )
    revision = CaseRevision.objects.get()
    assert (revision.number, revision.summary) == (1, before)
    assert revision.people[0]["name"] == "山田 花子"
    for user in (world.alice, world.bob):  # the counter, and B named by the consent
        client.force_login(user)
        page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
        assert (
            "修正前の版" in page
            and before in page
            and "山田 花子（やまだ はなこ） 1944年生・本人" in page
        )
    client.force_login(world.coordinator)  # not named: sees neither the summary nor its past
    page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert "修正前の版" not in page and before not in page
