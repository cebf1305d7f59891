"""Which language a post's text is in, marked at the front of an indexed field (no Whoosh needed here)."""

from __future__ import annotations

import re

MARK = "\ue000"  # a private-use character: never in real text
LANG_MARKER = re.compile(f"{MARK}([a-z]+){MARK}")


def base_language(lang: str) -> str:
    """'de' from 'de-AT' or 'de_DE'; 'en' when empty."""
    return lang.split("-")[0].split("_")[0].lower() or "en"


def language_marker(lang: str, site_lang: str) -> str:
    """What to put before a field's text so its words are analysed in the post's language."""
    post, site = base_language(lang), base_language(site_lang)
    return "" if post == site else f"{MARK}{post}{MARK}"


def strip_marker(text: str) -> str:
    """Stored text without its language marker."""
    if not text.startswith(MARK):  # text in the site's language: most of it
        return text
    marker = LANG_MARKER.match(text)
    return text[marker.end() :] if marker else text
