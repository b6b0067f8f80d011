"""The figures CSV opens in Japanese Excel and cannot carry a formula."""

from __future__ import annotations

import csv
import io
from datetime import datetime

from django.test import Client
from django.urls import reverse

from areas.models import Agency, Membership, Role
from cases.models import IssueTag
from insight.csvexport import csv_text, guard
from tests.conftest import World, fetch_export, make_case, make_sheet, make_tags
from tsumugi.lib.dates import TOKYO

RECEIVED = datetime(2026, 6, 1, 10, 0, tzinfo=TOKYO)


def rows_of(content: bytes) -> list[list[str]]:
    assert content.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def test_guard_prefixes_formula_starts_and_leaves_the_rest() -> None:
    assert [guard(v) for v in ["=1+1", "+81", "-3", "@SUM(A1)", "\t=x", "高齢", 5, -3]] == [
        "'=1+1",
        "'+81",
        "'-3",
        "'@SUM(A1)",
        "'\t=x",
        "高齢",
        5,
        -3,
    ]
    assert csv_text([["=A1", "ok"]]) == "'=A1,ok\r\n"


def test_figures_csv_is_utf8_with_bom_japanese_header_and_guarded_cells(
    client: Client, world: World
) -> None:
    evil = Agency.objects.create(code="evil", name='=HYPERLINK("http://x","y")', kind="outside")
    Membership.objects.create(user=world.charlie, agency=evil, role=Role.COUNTER)
    make_tags(world)
    IssueTag.objects.filter(code="konkyu").update(name="@SUM(1)")
    make_case(world, agency=evil, by=world.charlie, tags=("konkyu",), now=RECEIVED)
    make_sheet(world, make_case(world, now=RECEIVED), now=RECEIVED)
    client.force_login(world.coordinator)

    response = fetch_export(client, reverse("insight:figures_csv"), {"year": 2026})

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment;" in response["Content-Disposition"]
    assert "filename*=UTF-8''" in response["Content-Disposition"]
    rows = rows_of(response.content)
    assert rows[0] == ["相談の集計", "令和8年4月1日（水）〜令和9年3月31日（水）"]
    assert rows[1] == ["相談件数", "2"]
    assert rows[6][:4] == ["地区", "令和8年4月", "令和8年5月", "令和8年6月"]
    cells = [cell for row in rows for cell in row]
    assert '\'=HYPERLINK("http://x","y")' in cells
    assert "'@SUM(1)" in cells
    assert not any(c.startswith(("=", "+", "-", "@")) for c in cells)


def test_figures_csv_has_no_personal_data(client: Client, world: World) -> None:
    make_sheet(world, make_case(world, now=RECEIVED), now=RECEIVED)
    client.force_login(world.coordinator)
    url = reverse("insight:figures_csv")
    text = fetch_export(client, url, {"year": 2026}).content.decode("utf-8-sig")
    for personal in ("山田", "やまだ", "長男", "外出", "安藤", "坂東"):
        assert personal not in text


def test_indicators_csv_opens_with_japanese_header(client: Client, world: World) -> None:
    make_sheet(world, make_case(world, now=RECEIVED), now=RECEIVED)
    client.force_login(world.coordinator)
    response = fetch_export(client, reverse("insight:indicators_csv"), {"year": 2026})
    rows = rows_of(response.content)
    assert rows[0] == ["令和8年度（2026年度）の指標"]
    assert rows[1] == ["指標", "朽木", "今津", "合計"]
    assert rows[2] == ["相談受付件数", "1", "0", "1"]
    assert rows[4] == ["多機関協働の事例数", "1", "0", "1"]
    assert rows[5] == ["関係機関間の情報連携（シート送付数）", "1", "0", "1"]


def test_indicators_add_up_per_indicator_never_across_unlike_indicators(
    client: Client, world: World
) -> None:
    # 相談件数 + シート枚数 + 転送 is no figure: each indicator keeps its total over the
    # districts, and no 合計 row adds the indicators up (on the page or in the CSV). The figures
    # tables, whose rows count the same thing, keep theirs.
    make_sheet(world, make_case(world, now=RECEIVED), now=RECEIVED)
    client.force_login(world.coordinator)

    rows = rows_of(fetch_export(client, reverse("insight:indicators_csv"), {"year": 2026}).content)
    page = client.get(reverse("insight:indicators"), {"year": 2026}).content.decode()
    figures = rows_of(fetch_export(client, reverse("insight:figures_csv"), {"year": 2026}).content)

    assert [r[0] for r in rows if r][1:] == [
        "指標",
        "相談受付件数",
        "うち複数分野にわたる相談",
        "多機関協働の事例数",
        "関係機関間の情報連携（シート送付数）",
        "うち転送（つなぎ直し）",
        "うち受理されたもの",
    ]
    assert "<tfoot>" not in page
    assert '<th scope="row">合計</th>' not in page
    assert any(r[:1] == ["合計"] for r in figures)
