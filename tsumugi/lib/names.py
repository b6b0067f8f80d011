"""The match key of a person: who is "the same name, reading and birth year" across consultations.

Counters write one resident's name many ways: full- or half-width, the reading in hiragana or
katakana, with or without the space between family and given name, 髙橋 or 高橋, 渡邊/渡邉/渡辺,
with an IVS variation selector the city's 住基 system put after a character. The table of old and
variant characters is not ours: jpnorm (PyPI) ships it (旧字体→新字体 and 人名・地名の異体字,
IVS removal), maintained with its tests; this module only chooses its flags.

One pair on top of it: jpnorm keeps 齊 (→斉) and 齋 (→斎) apart, as the character sets do, but in
surnames 斉藤・斎藤・齊藤・齋藤 are the same さいとう written four ways on 住民票 and forms, and a
counter cannot tell which one the resident used last time; the key folds 斉 into 斎. A candidate
is only a hint the counter confirms, and the reading and birth year must match as well.

The key is a SHA-256 digest: it can be indexed and compared but never shown, logged or posted
as a name.
"""

from __future__ import annotations

import hashlib
from functools import cache

from jpnorm import Normalizer

# Characters the maintained table leaves distinct that are one surname (see above).
SAME_IN_NAMES = str.maketrans({"斉": "斎"})


@cache
def _normalizer() -> Normalizer:
    return Normalizer(
        "none",
        nfkc=True,  # full-width latin/digits → half-width; compatibility ideographs → unified
        halfwidth_kana_to_fullwidth=True,
        kana="hira_to_kata",
        case="lower",
        kyujitai_to_shinjitai=True,  # 國→国, 齋→斎, 邊→辺
        unify_itaiji=True,  # 髙→高, 﨑→崎, 邉→辺, 濵→浜
        remove_variation_selectors=True,  # U+FE00–FE0F, U+E0100–E01EF
        expand_iteration_marks=True,  # 佐々木 = 佐佐木
        remove_zero_width=True,
        remove_control=True,
        remove_bidi_control=True,
    )


def fold_name(text: str) -> str:
    """The form names are compared in: '髙橋　ﾀﾛｳ' → '高橋タロウ'."""
    folded = _normalizer().normalize(text).translate(SAME_IN_NAMES)
    return "".join(ch for ch in folded if not ch.isspace())


def match_key(name: str, kana: str, birth_year: int | None) -> str:
    """The digest of name, reading and birth year folded; "" (matches nothing) when any of the
    three is missing, since a name alone is not enough to suggest that two people are one."""
    folded_name, folded_kana = fold_name(name), fold_name(kana)
    if not (folded_name and folded_kana and birth_year):
        return ""
    text = f"{birth_year}\x1f{folded_kana}\x1f{folded_name}"
    return hashlib.sha256(text.encode()).hexdigest()
