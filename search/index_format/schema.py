"""The Whoosh schema: one document per section, carrying its post's fields.

A post's own fields (path, url, title, date as ISO text, tags) are one pickled dict in the `post` column, held
by the post's first section only: its sections are written one after another and deleted together, so its
first live section always holds them. post_record() makes that dict; the scorer finds it (PostArrays).
"""

from __future__ import annotations

from typing import Any

SCHEMA_VERSION = 23  # 16: format in search.index_format; 17: categories, authors in post records; 18: heading_exact;
# 19: accents folded; 20: stop words indexed, words split by the analyzer searched as phrases; 21: identifiers'
# parts indexed; 22: fences inside lists and quotes read as code; 23: a post never cut between two segments (a large
# site's worker could cut one, and its record went unfound: results and facets failed)

# Weights: a title match counts more than a heading match, a heading more than body text.
FIELD_BOOSTS = {"title": 2.0, "heading": 1.5, "body": 1.0, "code": 0.6}
SEARCH_FIELDS = tuple(FIELD_BOOSTS)
UNDATED = -(2**62)  # date_order of posts without a date: after every dated post


def build_schema(lang: str = "en", weights: dict[str, float] | None = None) -> Any:
    """The schema of a postsearch index whose prose is in the given language; weights (a site's settings) change
    FIELD_BOOSTS, which are written into each posting's weight."""
    from whoosh.columns import NumericColumn
    from whoosh.fields import COLUMN, DATETIME, ID, KEYWORD, STORED, TEXT, Schema

    from ..analysis import name_analyzer
    from .codec import PickledColumn
    from .fields import ProseField

    boosts = {**FIELD_BOOSTS, **(weights or {})}
    return Schema(
        post_key=COLUMN(NumericColumn("q")),  # columns only: no index terms
        title_exact=ID(),
        heading_exact=ID(),  # a section's heading reduced as title_exact is
        path=ID(sortable=True),
        post=COLUMN(PickledColumn()),  # what a result shows of its post (see post_fields): its first section's
        title=ProseField(lang, field_boost=boosts["title"]),
        heading=ProseField(lang, stored=True, field_boost=boosts["heading"]),
        heading_path=STORED(),
        anchor=STORED(),
        body=ProseField(lang, stored=True, field_boost=boosts["body"]),
        code=ProseField(lang, stored=True, field_boost=boosts["code"]),
        tags=KEYWORD(commas=True, lowercase=True, scorable=True),
        categories=KEYWORD(commas=True, lowercase=True, scorable=True),
        author=TEXT(analyzer=name_analyzer()),
        date=DATETIME(),
        date_order=COLUMN(NumericColumn("q")),
        lang=ID(),
        position=STORED(),
    )


def post_record(
    path: str, url: str, title: str, date: str | None, tags: tuple[str, ...], categories: tuple[str, ...] = (),
    authors: tuple[str, ...] = (),
) -> dict[str, Any]:
    """The `post` column's value: what a search result shows of its post, and what facets count."""
    return {"path": path, "url": url, "title": title, "date": date, "tags": tags, "categories": categories, "authors": authors}
