"""ふりがな accepts hiragana, katakana and half-width katakana and stores one form (hiragana), so
searching and the anonymous-text guard see one reading whatever the counter typed."""

from __future__ import annotations

import pytest
from django import forms

from tsumugi.lib.forms import KanaField


class Form(forms.Form):
    kana = KanaField(max_length=60, required=False)


@pytest.mark.parametrize(
    "typed",
    ["やまだ はなこ", "ヤマダ ハナコ", "ﾔﾏﾀﾞ ﾊﾅｺ", "ヤマダ　ハナコ", "  やまだ   はなこ "],
)
def test_every_way_of_typing_a_reading_is_stored_as_hiragana(typed: str) -> None:
    form = Form({"kana": typed})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["kana"] == "やまだ はなこ"


def test_long_vowel_and_small_kana_survive() -> None:
    form = Form({"kana": "ｼｮｰﾀ"})
    assert form.is_valid() and form.cleaned_data["kana"] == "しょーた"


@pytest.mark.parametrize("typed", ["山田", "yamada", "やまだ1"])
def test_anything_but_kana_is_refused_with_a_japanese_message(typed: str) -> None:
    form = Form({"kana": typed})
    assert not form.is_valid()
    assert "ひらがなかカタカナ" in form.errors["kana"][0]
