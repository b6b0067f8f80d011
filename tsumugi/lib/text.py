"""Text normalisation for search: people type names in every width and kana script."""

import unicodedata

_HIRAGANA_START, _HIRAGANA_END = 0x3041, 0x3096
_KATAKANA_OFFSET = 0x60


def search_key(text: str) -> str:
    """NFKC (full-width → half-width digits/latin, half-width kana → full-width), hiragana →
    katakana, lower case, no spaces: 'ﾔﾏﾀﾞ　たろう' and 'ヤマダタロウ' give the same key."""
    normalised = unicodedata.normalize("NFKC", text).lower()
    out = []
    for ch in normalised:
        code = ord(ch)
        if _HIRAGANA_START <= code <= _HIRAGANA_END:
            ch = chr(code + _KATAKANA_OFFSET)
        if not ch.isspace():
            out.append(ch)
    return "".join(out)
