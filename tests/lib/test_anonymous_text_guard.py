"""The guard on text written for anonymous readers (issue 9, point 4): every ordinary way of
writing a resident's name, reading or birth year is refused with a message naming it; ordinary
words that merely contain a one-character name are accepted."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from tsumugi.lib.text import Identity, guard_anonymous_text, identifying_findings

MIO = Identity("朽網 澪", "くさみ みお", 1999)
RIN = Identity("湖東 凛", "コトウ リン", 1980)
PEOPLE = [MIO, RIN]


@pytest.mark.parametrize(
    ("text", "finding"),
    [
        # name parts of two or more characters, in any width, with or without the space
        ("朽網さん（本人）の生活について", "氏名の一部「朽網」"),
        ("朽網澪の件", "氏名の一部「朽網澪」"),
        ("湖東の件", "氏名の一部「湖東」"),
        # a one-character part followed by any honorific
        ("凛さんは元気です", "敬称付きの氏名「凛さん」"),
        ("凛様より", "敬称付きの氏名「凛様」"),
        ("澪氏", "敬称付きの氏名「澪氏」"),
        ("凛君", "敬称付きの氏名「凛君」"),
        ("凛くんと", "敬称付きの氏名「凛くん」"),
        ("凛ちゃんが", "敬称付きの氏名「凛ちゃん」"),
        # the reading and each part of it, in hiragana, katakana and half-width katakana
        ("くさみさんに", "ふりがなの一部「クサミ」"),
        ("クサミ ミオ", "ふりがなの一部「クサミ」"),
        ("ｸｻﾐﾐｵ", "ふりがなの一部「クサミミオ」"),
        ("ことう りん", "ふりがなの一部「コトウ」"),
        ("コトウリン", "ふりがなの一部「コトウリン」"),
        ("ﾘﾝ さん", "ふりがなの一部「リン」"),
        ("みおの母", "ふりがなの一部「ミオ」"),
        # the birth year in 西暦 (half and full width) and 和暦
        ("1999年生まれ", "生まれ年「1999年」"),
        ("１９９９年生まれ", "生まれ年「1999年」"),
        ("平成11年生まれの本人", "生まれ年「平成11年」"),
        ("H11生", "生まれ年「平成11年」"),
        ("Ｈ１１生", "生まれ年「平成11年」"),
        ("h.11", "生まれ年「平成11年」"),
        ("平11生", "生まれ年「平成11年」"),
        ("平成十一年", "生まれ年「平成11年」"),
        ("昭和55年生まれ", "生まれ年「昭和55年」"),
        ("S55", "生まれ年「昭和55年」"),
        ("Ｓ５５年", "生まれ年「昭和55年」"),
        ("昭55", "生まれ年「昭和55年」"),
        ("㍼55年", "生まれ年「昭和55年」"),
        # telephone numbers, postal codes, street addresses
        ("連絡先は0740-22-1234です", "電話番号「0740-22-1234」"),
        ("０９０－１２３４－５６７８", "電話番号「090-1234-5678」"),
        ("0740(22)1234", "電話番号「0740(22)1234」"),
        ("07402212345", "電話番号「07402212345」"),
        ("〒520-1592", "郵便番号「〒520-1592」"),
        ("520ー1592", "郵便番号「520-1592」"),
        ("朽木市場3丁目", "住所「3丁目」"),
        ("新旭町北畑五丁目", "住所「五丁目」"),
        ("朽木市場123番地", "住所「123番地」"),
        ("今津町1番2号", "住所「1番2号」"),
        ("安曇川町1-2-3", "住所「1-2-3」"),
    ],
)
def test_each_way_of_identifying_someone_is_refused_and_named(text: str, finding: str) -> None:
    assert finding in identifying_findings(text, PEOPLE)
    with pytest.raises(ValidationError) as refused:
        guard_anonymous_text(text, PEOPLE)
    assert finding in refused.value.messages[0]
    assert "書き直してください" in refused.value.messages[0]


def test_the_message_names_everything_found_at_once() -> None:
    text = "湖東 凛さん（コトウ リン、昭和55年生まれ）… 凛さんは"
    found = identifying_findings(text, PEOPLE)
    assert "氏名の一部「湖東」" in found
    assert "敬称付きの氏名「凛さん」" in found
    assert "ふりがなの一部「コトウ」" in found and "ふりがなの一部「リン」" in found
    assert "生まれ年「昭和55年」" in found


def test_a_year_on_an_era_boundary_is_caught_in_both_eras() -> None:
    born_1989 = [Identity("高島 太郎", "", 1989)]
    assert identifying_findings("昭和64年", born_1989) == ["生まれ年「昭和64年」"]
    assert identifying_findings("平成元年生まれ", born_1989) == ["生まれ年「平成元年」"]
    assert identifying_findings("H元年", born_1989) == ["生まれ年「平成元年」"]


@pytest.mark.parametrize(
    "text",
    [
        "凛とした態度で話していました",  # a one-character given name inside an ordinary word
        "澪標が見える港",  # "澪" without an honorific
        "Aさん（40代）・本人。母と二人暮らし",  # the alias is not a name
        "令和8年6月1日に来所。2026-06-01の面談で",  # dates are not addresses or phones
        "週3回の訪問、1日2回の服薬",
        "高島市の相談窓口へ",
        "1998年に転居",  # another year than the birth year
        "平成12年から就労",
        "電話で相談",
        "",
    ],
)
def test_ordinary_text_is_accepted(text: str) -> None:
    assert identifying_findings(text, PEOPLE) == []
    guard_anonymous_text(text, PEOPLE)


def test_nobody_given_still_refuses_phone_numbers() -> None:
    assert identifying_findings("090-1234-5678", []) == ["電話番号「090-1234-5678」"]
    assert identifying_findings("朽網さん", []) == []
