"""The Whoosh schema: one document per section, carrying its post's fields."""

from __future__ import annotations

from whoosh.analysis import LowercaseFilter, RegexTokenizer, StemmingAnalyzer
from whoosh.fields import DATETIME, ID, KEYWORD, NUMERIC, STORED, TEXT, Schema

SCHEMA_VERSION = 1
WORD_PATTERN = r"\w+"

# Weights: a title match counts more than a heading match, a heading more than body text.
FIELD_BOOSTS = {"title": 4.0, "heading": 2.0, "body": 1.0, "code": 0.6}
SEARCH_FIELDS = tuple(FIELD_BOOSTS)
UNDATED = -(2**62)  # date_order of posts without a date: after every dated post


def text_analyzer() -> StemmingAnalyzer:
    """Words lower-cased, English stop words dropped, Porter-stemmed."""
    return StemmingAnalyzer(expression=WORD_PATTERN, minsize=1)


def name_analyzer():
    """Names and labels: words lower-cased, not stemmed."""
    return RegexTokenizer(WORD_PATTERN) | LowercaseFilter()


def build_schema() -> Schema:
    """The schema of a postsearch index."""
    words = text_analyzer()
    return Schema(
        key=ID(unique=True, stored=True),
        path=ID(stored=True, sortable=True),
        url=STORED(),
        post_url=STORED(),
        title=TEXT(analyzer=words, stored=True, field_boost=FIELD_BOOSTS["title"], spelling=True),
        heading=TEXT(analyzer=words, stored=True, field_boost=FIELD_BOOSTS["heading"]),
        heading_path=STORED(),
        anchor=STORED(),
        body=TEXT(analyzer=words, stored=True, spelling=True),
        code=TEXT(analyzer=words, stored=True, field_boost=FIELD_BOOSTS["code"]),
        tags=KEYWORD(stored=True, commas=True, lowercase=True, scorable=True),
        categories=KEYWORD(stored=True, commas=True, lowercase=True, scorable=True),
        author=TEXT(analyzer=name_analyzer(), stored=True),
        date=DATETIME(stored=True),
        date_order=NUMERIC(int, bits=64, signed=True, sortable=True),
        lang=ID(stored=True),
        position=NUMERIC(stored=True),
    )
