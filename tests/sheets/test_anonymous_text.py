"""Text an anonymous receiver reads goes through the guard of tsumugi/lib/text.py: the issue
form's three fields when any receiver is outside the basis, and the withdrawal reason of an
anonymised sheet. A receiver the basis names may read the same text."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from cases.models import Basis
from sheets.models import Sheet, Status
from tests.conftest import World, make_case, make_sheet
from tests.sheets.test_views import issue_data


@pytest.mark.parametrize(
    ("field", "text", "finding"),
    [
        ("request", "花子さんの介護申請を", "氏名の一部「花子」"),
        ("sender_continuing", "はなこさんへの訪問", "ふりがなの一部「ハナコ」"),
        ("shared_info", "昭和19年生まれ", "生まれ年「昭和19年」"),
        ("shared_info", "Ｓ１９生", "生まれ年「昭和19年」"),
        ("shared_info", "連絡は0740-22-1234へ", "電話番号「0740-22-1234」"),
        ("shared_info", "朽木市場3丁目に住む", "住所「3丁目」"),
    ],
)
def test_an_anonymous_sheet_refuses_identifying_text_on_the_field(
    client: Client, world: World, field: str, text: str, finding: str
) -> None:
    case = make_case(world, basis=Basis.NONE)
    client.force_login(world.alice)
    response = client.post(
        reverse("sheets:new", args=[case.pk]), issue_data(world, world.b, **{field: text})
    )
    assert response.status_code == 400
    assert finding in response.context["form"].errors[field][0]
    assert not Sheet.objects.exists()


def test_a_receiver_the_consent_names_may_read_the_names(client: Client, world: World) -> None:
    case = make_case(world)  # consent names B
    client.force_login(world.alice)
    data = issue_data(world, world.b, shared_info="山田 花子さん（昭和19年生まれ）")
    assert client.post(reverse("sheets:new", args=[case.pk]), data).status_code == 302
    assert Sheet.objects.get().shared_info.startswith("山田 花子")


def test_the_withdrawal_reason_of_an_anonymised_sheet_is_guarded(
    client: Client, world: World
) -> None:
    anonymous = make_sheet(world, make_case(world, basis=Basis.NONE))
    assert anonymous.is_anonymised
    client.force_login(world.alice)
    url = reverse("sheets:withdraw", args=[anonymous.pk])
    response = client.post(url, {"reason": "一郎さんが入院したため"})
    assert response.status_code == 400 and "氏名の一部「一郎」" in response.content.decode()
    anonymous.refresh_from_db()
    assert anonymous.status == Status.SENT
    named = make_sheet(world)
    assert not named.is_anonymised
    client.post(reverse("sheets:withdraw", args=[named.pk]), {"reason": "一郎さんが入院したため"})
    named.refresh_from_db()
    assert named.status == Status.WITHDRAWN
