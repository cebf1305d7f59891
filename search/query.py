"""Query text -> ranked hits grouped per post, with highlighted snippets."""

from __future__ import annotations

import fnmatch
import math
from collections import Counter
from functools import partial, reduce
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np
from whoosh.support.levenshtein import damerau_levenshtein as edit_distance
from whoosh import index as whoosh_index
from whoosh import qparser
from whoosh import query as wq

from .config import SORTS
from .errors import IndexVersionMismatch, QueryError
from .manifest import INDEX_NAME, latest_generation, require_index, settled_stamp
from .schema import SCHEMA_VERSION, SEARCH_FIELDS, UNDATED, build_schema
from .analysis import CJK_RUN, index_terms, split_words, title_key
from .languages import strip_marker
from .scoring import BM25FScorer, distinct
from .snippets import Fragment, Highlighter, to_html

SECTIONS_PER_POST = 3
TIER_STEP = 1e6  # far above any section's score: a better tier always ranks first
PROXIMITY_DEPTH = 50  # best sections checked for how close the query's words stand
PROXIMITY_WEIGHT = 0.5  # an exact phrase scores 1.5x; words spread over a paragraph barely more than 1x
PROXIMITY_MAX_WORDS = 4  # a longer query is a pasted sentence: how close its words stand says little (SciFact: -0.03)
HEADING_WEIGHT = 1.0  # a section whose heading and title hold every query word scores double
RECENCY_WEIGHT = 0.25  # with recent_boost: a post of today scores up to 1.25x ...
RECENCY_HALF_LIFE_DAYS = 365  # ... and that extra halves every year
MAX_EXPANSIONS = 64  # words a prefix* query stands for: those in most sections
FIELD_ALIASES = {"tags": ["tag"], "categories": ["category"], "author": ["authors", "by"], "heading": ["section"]}
LEADING_WILDCARD = re.compile(r"(?:^|[\s(:\"])\*\w")
# "?" ends questions rather than standing for a letter ("ownership?" would miss "ownership"), and a "*" after no
# word would expand to every word in the index
NOT_WILDCARDS = re.compile(r"\?|(?<![\w*])\*+(?!\w)")
PLAIN_WORDS = re.compile(r"\s*[^\W_]+(?:\s+[^\W_]+)*\s*")
OPERATORS = {"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE", "TO"}


@dataclass(frozen=True)
class SectionHit:
    """One matching section of a post."""

    heading: str
    heading_path: tuple[str, ...]
    anchor: str
    url: str
    snippet: str
    fragments: tuple[Fragment, ...]
    score: float


@dataclass(frozen=True)
class PostHit:
    """One matching post with its best sections."""

    path: str
    url: str
    title: str
    date: str | None
    tags: tuple[str, ...]
    score: float
    sections: tuple[SectionHit, ...]


@dataclass(frozen=True)
class SearchResults:
    """A page of results for one query."""

    query: str
    total: int
    page: int
    pages: int
    suggestion: str | None
    corrected: bool
    hits: tuple[PostHit, ...]

    def to_dict(self) -> dict[str, Any]:
        """The JSON object `postsearch query --json` prints."""
        return {
            "query": self.query,
            "total": self.total,
            "page": self.page,
            "pages": self.pages,
            "suggestion": self.suggestion,
            "corrected": self.corrected,
            "hits": [post_dict(hit) for hit in self.hits],
        }


def post_dict(hit: PostHit) -> dict[str, Any]:
    """A hit as JSON: the post's fields and its sections without the terminal fragments."""
    return {
        "path": hit.path,
        "url": hit.url,
        "title": hit.title,
        "date": hit.date,
        "tags": list(hit.tags),
        "score": round(hit.score, 4),
        "sections": [
            {"heading": s.heading, "anchor": s.anchor, "url": s.url, "snippet": s.snippet, "score": round(s.score, 4)}
            for s in hit.sections
        ],
    }


@dataclass(frozen=True)
class IndexStats:
    """Facts about an index."""

    posts: int
    sections: int
    size_bytes: int
    built_at: str
    index_dir: str
    posts_dir: str
    settings: dict[str, Any]


# --- query text ---


def repair(text: str) -> str:
    """Balance quotes and parentheses so a half-typed query still parses; drop "?" and lone "*"."""
    text = NOT_WILDCARDS.sub(" ", text)
    if text.count('"') % 2:
        cut = text.rfind('"')
        text = text[:cut] + text[cut + 1 :]
    if "(" not in text and ")" not in text:
        return text
    depth, kept = 0, []
    for char in text:
        if char == ")" and depth == 0:
            continue
        depth += {"(": 1, ")": -1}.get(char, 0)
        kept.append(char)
    return "".join(kept) + ")" * depth


def check(text: str) -> None:
    """Reject what cannot be searched, saying how to fix it."""
    if LEADING_WILDCARD.search(text):
        raise QueryError(text, "Leading wildcards are not supported: put the * at the end of a word, e.g. 'rust*'.")


def make_parser(schema: Any, dates: bool = False) -> qparser.QueryParser:
    """The query parser: all words required, over every searchable field (date ranges when asked for)."""
    parser = qparser.MultifieldParser(list(SEARCH_FIELDS), schema, group=qparser.AndGroup)
    parser.remove_plugin_class(qparser.SingleQuotePlugin)
    parser.remove_plugin_class(qparser.EveryPlugin)
    # + and - only mark words at their start, so "0-dimensional", "x-ray" and "alpha (+)-" stay words.
    marks = r"(?:^|(?<=[\s(])){}(?=[\w\"(])"
    parser.add_plugin(qparser.PlusMinusPlugin(plusexpr=marks.format(r"\+"), minusexpr=marks.format("-")))
    parser.add_plugin(qparser.FieldAliasPlugin(FIELD_ALIASES))
    if dates:  # imported only then: Whoosh's date grammar costs a cold start ~10 ms
        from whoosh.qparser.dateparse import DateParserPlugin

        parser.add_plugin(DateParserPlugin(free=False))
    for name in SEARCH_FIELDS:
        schema[name].multitoken_query = "phrase"
    return parser


def highlight_terms(q: wq.Query) -> tuple[frozenset[str], tuple[str, ...]]:
    """The analysed words and prefixes a snippet should mark (not the excluded ones)."""
    words: set[str] = set()
    prefixes: set[str] = set()
    for leaf in positive_leaves(q):
        if isinstance(leaf, wq.Prefix):
            prefixes.add(leaf.text)
        elif isinstance(leaf, wq.Wildcard):
            prefixes.add(literal_start(leaf.text))
        elif isinstance(leaf, wq.Phrase):
            words.update(leaf.words)
        elif isinstance(leaf, wq.Term) and leaf.fieldname in SEARCH_FIELDS:
            words.add(str(leaf.text))
    return frozenset(words), tuple(sorted(p for p in prefixes if p))


def words_query(stems: tuple[str, ...]) -> wq.Query:
    """Every stem required, each in any searchable field: what the parser makes of plain words, after Whoosh's
    normalize() (a word twice is one group, one group stands alone; normalize() takes 20 µs)."""
    groups = [wq.Or([wq.Term(field, stem) for field in SEARCH_FIELDS]) for stem in stems]
    if not groups:
        return wq.NullQuery
    return wq.And(groups) if len(groups) > 1 else groups[0]


def literal_start(pattern: str) -> str:
    """The part of a wildcard pattern before its first wildcard."""
    return re.split(r"[*?\[]", pattern)[0]


def positive_leaves(q: wq.Query) -> Iterator[wq.Query]:
    """Leaf queries that are not under a NOT."""
    if isinstance(q, wq.Not):
        return
    if isinstance(q, wq.AndNot):
        yield from positive_leaves(q.a)
        return
    if isinstance(q, wq.Phrase) or not q.is_leaf():
        if isinstance(q, wq.Phrase):
            yield q
            return
        for child in q.children():
            yield from positive_leaves(child)
        return
    yield q


def is_plain_words(q: wq.Query) -> bool:
    """True when the query is only words and prefixes, each searched in every field (no phrases, filters or
    operators): the scorer alone then finds its sections."""
    groups = q.subqueries if isinstance(q, wq.And) else [q]
    return all(
        isinstance(g, wq.Or)
        and {getattr(t, "fieldname", None) for t in g.subqueries} == set(SEARCH_FIELDS)
        and len({(type(t), getattr(t, "text", None)) for t in g.subqueries}) == 1
        and type(g.subqueries[0]) in (wq.Term, wq.Prefix, wq.Wildcard)
        for g in groups
    )


def any_of_terms(q: wq.Query) -> list[tuple[str, str]] | None:
    """The (field, word) pairs of a query that is a word or an OR of words, else None."""
    if q is wq.NullQuery:
        return []
    if type(q) is wq.Term:
        return [(q.fieldname, str(q.text))]
    if isinstance(q, wq.Or):
        pairs: list[tuple[str, str]] = []
        for part in q.subqueries:
            found = any_of_terms(part)
            if found is None:
                return None
            pairs.extend(found)
        return pairs
    return None


def only_words_and_split_words(text: str, q: wq.Query) -> bool:
    """True when the query is plain words, some split into phrases by the analyzer (x-ray, 1.20, e-mail),
    with no quotes, field filters, exclusions or operators typed by the user."""
    typed = '"' in text or re.search(r"\b\w+:|(?:^|\s)[-+]|\b(?:AND|OR|NOT|ANDNOT)\b|[()*?]", text)
    return not typed and not negated_parts(q)


def relax(q: wq.Query) -> wq.Query:
    """The any-word form of an all-words query: plain words become optional; filters and exclusions stay required."""
    if not isinstance(q, wq.And):
        return q
    required = [part for part in q.subqueries if is_filter(part)]
    optional = [part for part in q.subqueries if not is_filter(part)]
    if len(optional) < 2:
        return q
    return wq.And([wq.Or(optional), *required]) if required else wq.Or(optional)


def is_filter(q: wq.Query) -> bool:
    """A fielded term (tag:x, title:y), a date range, or an exclusion."""
    return isinstance(q, (wq.Not, wq.AndNot)) or (q.is_leaf() and getattr(q, "fieldname", None) is not None)


def negated_parts(q: wq.Query) -> list[wq.Query]:
    """The sub-queries a NOT or -word excludes."""
    if isinstance(q, wq.Not):
        return [q.query]
    if isinstance(q, wq.AndNot):
        return negated_parts(q.a) + [q.b]
    if q.is_leaf() or isinstance(q, wq.Phrase):
        return []
    return [part for child in q.children() for part in negated_parts(child)]


# --- the index ---


class SearchIndex:
    """An open index answering queries; use it as a context manager or call close()."""

    def __init__(self, index_dir: Path | str = "index") -> None:
        self.index_dir = Path(index_dir)
        self.manifest = require_index(self.index_dir, SCHEMA_VERSION)
        self.index = whoosh_index.open_dir(str(self.index_dir), indexname=INDEX_NAME)
        if set(self.index.schema.names()) != set(build_schema().names()):
            self.index.close()
            raise IndexVersionMismatch(self.index_dir, f"The index in {self.index_dir} was written with another schema.")
        self.searcher = self.index.searcher()
        self.scorer = BM25FScorer(self.searcher)
        self.paths = path_column(self.searcher.reader())
        self.checked_stamp: int | None = None  # the folder's time at the last refresh, once settled
        self.parsers: dict[bool, qparser.QueryParser] = {}
        self.parsed: dict[str, wq.Query] = {}  # the last query parsed, used twice per search
        self.plain: dict[str, tuple[str, ...]] = {}  # its stems, when it is plain words
        self.expanded: dict[str, tuple[str, ...]] = {}  # prefixes expanded lately: each is met once per field
        self.other_languages = tuple(self.manifest.languages)  # post languages besides the site's
        self.highlighter = Highlighter(
            [self.stem] + [partial(self.stem, lang=lang) for lang in self.other_languages],
            prefilter=self.manifest.settings.lang.startswith("en") and not self.other_languages,
        )

    def __enter__(self) -> "SearchIndex":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Release the searcher and its files."""
        self.searcher.close()

    def refresh(self) -> None:
        """Pick up a newer index generation if one was committed."""
        stamp = settled_stamp(self.index_dir)
        if stamp is not None and stamp == self.checked_stamp:
            return  # no file added to the folder since the last look (a stat, not a listing of it)
        self.checked_stamp = stamp
        if latest_generation(self.index_dir) != self.manifest.generation:
            self.manifest = require_index(self.index_dir, SCHEMA_VERSION)
            # A new searcher, not Whoosh's refresh(): that reuses segment readers, and with them the deletions
            # they saw when opened, so updated posts' old sections would still be found.
            stale, self.searcher = self.searcher, self.index.searcher()
            stale.close()
            self.scorer = BM25FScorer(self.searcher)
            self.paths = path_column(self.searcher.reader())
            self.expanded = {}

    def stem(self, word: str, lang: str | None = None) -> str:
        """A word as the site's language (or the given one) analyses it."""
        return next(iter(self.terms(word, lang)), word)

    def terms(self, text: str, lang: str | None = None) -> list[str]:
        """The index terms the site's language (or the given one) makes of a text, as its analyzer would."""
        return index_terms(text, lang or self.manifest.settings.lang)

    def translations(self, text: str) -> dict[str, set[str]]:
        """For each site-language stem of the query's words, the stems other post languages give the word."""
        found: dict[str, set[str]] = {}
        if not self.other_languages:
            return found
        plain = re.sub(r"\b\w+:", " ", text).lower()  # field names are not words
        for start, end in split_words(plain):
            word = plain[start:end]
            stems = {self.stem(word, lang) for lang in self.other_languages}
            found.setdefault(self.stem(word), set()).update(stems - {self.stem(word)})
        return found

    def search(
        self, query: str, page: int = 1, per_page: int = 10, sort: str = "relevance", recent_boost: bool = False
    ) -> SearchResults:
        """The given page of posts matching the query, best first (or newest first with sort='date').

        recent_boost gently favours newer posts: up to 25% more for a post of today, half that after a year."""
        if sort not in SORTS:
            raise QueryError(query, f"Unknown sort {sort!r}: use one of {', '.join(SORTS)}.")
        page, per_page = max(1, int(page)), max(1, int(per_page))
        check(query)
        self.refresh()
        text = repair(query)
        start = (page - 1) * per_page
        total, ranked = self.rank(text, sort, start, per_page, recent_boost)
        suggestion = self.suggest(text)
        corrected = False
        if not total and suggestion:
            (total, ranked), corrected = self.rank(suggestion, sort, start, per_page, recent_boost), True
        searched = suggestion if corrected else text
        parsed, plain = self.parse(searched), self.plain.get(searched)
        words, prefixes = highlight_terms(parsed) if plain is None else (frozenset(plain), ())
        translated = {stem for stems in self.translations(searched).values() for stem in stems}
        terms = (words | translated, prefixes)
        pages = max(1, math.ceil(total / per_page))
        hits = tuple(self.post_hit(score, sections, terms) for score, sections in ranked)
        return SearchResults(query, total, page, pages, suggestion, corrected, hits)

    def parse(self, text: str) -> wq.Query:
        """The query with every word required (relax() makes the any-word form); the last one is kept."""
        if text in self.parsed:
            return self.parsed[text]
        stems = self.plain_stems(text)
        if stems is not None:
            self.parsed, self.plain = {text: words_query(stems)}, {text: stems}
            return self.parsed[text]
        dates = "date:" in text.lower()
        if dates not in self.parsers:
            self.parsers[dates] = make_parser(self.index.schema, dates)
        try:
            parsed = self.parsers[dates].parse(text)
        except Exception:  # the parser raises assorted errors on odd input: search its words instead
            words = re.sub(r"[^\w\s]", " ", text).lower()  # operators are upper case
            try:
                parsed = self.parsers[dates].parse(words)
            except Exception as error:
                raise QueryError(text, f"Cannot read this query ({error}); check its quotes, brackets and field names.") from error
        self.parsed, self.plain = {text: parsed}, {}
        return parsed

    def plain_stems(self, text: str) -> tuple[str, ...] | None:
        """The stems of a query of plain words, each once (stop words dropped), from which words_query() builds
        what the parser would make of it (the parser takes ~1 ms); None for anything else: operators,
        punctuation, CJK text, or a word the analyzer splits."""
        words = text.split()
        if not PLAIN_WORDS.fullmatch(text) or OPERATORS & set(words) or CJK_RUN.search(text):
            return None
        stems = []
        for word in words:
            terms = self.terms(word)
            if len(terms) > 1:
                return None
            stems.extend(terms)
        return tuple(dict.fromkeys(stems))

    def docs(self, q: wq.Query) -> Any:
        """Global docnums matching a query (unscored), as a numpy array."""
        if q is wq.NullQuery or (isinstance(q, (wq.Or, wq.And)) and not q.subqueries):
            return np.zeros(0, dtype=np.int64)
        q = self.bounded(q)
        found = self.docs_from_postings(q)
        return found if found is not None else np.fromiter(self.searcher.docs_for_query(q), dtype=np.int64)

    def docs_from_postings(self, q: wq.Query) -> Any:
        """docs() from unions, intersections and differences of posting lists, for queries of words, phrases,
        OR, AND and NOT (Whoosh's matchers take one Python call per posting); None for anything else."""
        terms = any_of_terms(q)
        if terms is not None:
            return self.scorer.docs_with_any(terms)
        if isinstance(q, wq.Phrase) and q.slop == 1 and len(q.words) > 1 and q.fieldname in SEARCH_FIELDS:
            return self.scorer.phrase_docs(q.fieldname, list(q.words))
        if isinstance(q, wq.Or):
            parts = [self.docs_from_postings(p) for p in q.subqueries]
            return None if any(p is None for p in parts) else distinct([np.zeros(0, dtype=np.int64), *parts])
        if isinstance(q, wq.AndNot):
            kept, dropped = self.docs_from_postings(q.a), self.docs_from_postings(q.b)
            return None if kept is None or dropped is None else np.setdiff1d(kept, dropped, assume_unique=True)
        if isinstance(q, wq.And):
            wanted = [self.docs_from_postings(p) for p in q.subqueries if not isinstance(p, wq.Not)]
            unwanted = [self.docs_from_postings(p.query) for p in q.subqueries if isinstance(p, wq.Not)]
            if not wanted or any(part is None for part in wanted + unwanted):
                return None
            found = reduce(partial(np.intersect1d, assume_unique=True), wanted)
            return reduce(partial(np.setdiff1d, assume_unique=True), unwanted, found)
        return None

    def bounded(self, q: wq.Query) -> wq.Query:
        """The query with each prefix* or wild*card in a searched field replaced by its expansions (Whoosh
        would match every indexed word it stands for: seconds for "t*" on a large site)."""
        if isinstance(q, (wq.Prefix, wq.Wildcard)) and q.fieldname in SEARCH_FIELDS:
            terms = self.expansions(q)
            return wq.Or([wq.Term(q.fieldname, term) for term in terms]) if terms else wq.NullQuery
        return q if q.is_leaf() else q.apply(self.bounded)

    def expansions(self, leaf: wq.Query) -> tuple[str, ...]:
        """The MAX_EXPANSIONS indexed words a prefix* or wild*card stands for, those in most sections first."""
        pattern = leaf.text + "*" if isinstance(leaf, wq.Prefix) else leaf.text
        if pattern not in self.expanded:
            reader, matches = self.searcher.reader(), re.compile(fnmatch.translate(pattern)).match
            counts: Counter[str] = Counter()
            for field in SEARCH_FIELDS:
                for found in reader.expand_prefix(field, literal_start(pattern)):
                    term = found.decode("utf-8") if isinstance(found, bytes) else found
                    if matches(term):
                        counts[term] += reader.doc_frequency(field, found)
            if len(self.expanded) >= MAX_EXPANSIONS:  # kept for a few queries, not for ever
                self.expanded.clear()
            self.expanded[pattern] = tuple(term for term, _ in counts.most_common(MAX_EXPANSIONS))
        return self.expanded[pattern]

    def query_words(self, q: wq.Query, translated: dict[str, set[str]]) -> list[tuple[str, ...]]:
        """The query's positive words, each a tuple of index terms (a prefix expands to several, a word in
        other post languages to its stems there)."""
        words: dict[tuple[str, ...], None] = {}
        for leaf in positive_leaves(q):
            if isinstance(leaf, wq.Phrase):
                words.update(((word,), None) for word in leaf.words)
            elif isinstance(leaf, (wq.Prefix, wq.Wildcard)) and leaf.fieldname in SEARCH_FIELDS:
                words[self.expansions(leaf)] = None
            elif isinstance(leaf, wq.Term) and leaf.fieldname in SEARCH_FIELDS:
                words[(str(leaf.text), *sorted(translated.get(str(leaf.text), ())))] = None
        return [w for w in words if w]

    def candidates(self, text: str, recent_boost: bool) -> tuple[Any, Any, Any]:
        """Matching sections: docnums, scores and tiers (2 exact title, 1 all words, 0 some words)."""
        all_query, stems, translated = self.parse(text), self.plain.get(text), self.translations(text)
        if stems is None:
            words = self.query_words(all_query, translated)
        else:  # plain words: no need to walk the query's tree for them
            words = [(stem, *sorted(translated.get(stem, ()))) for stem in stems]
        totals, matched, in_context, in_heading = self.scorer.score_all(words)
        if stems is not None or is_plain_words(all_query):
            docnums = np.flatnonzero(totals > 0)  # numpy finds the True of a bool array ~10x faster than non-zeros
            tiers = (matched[docnums] == len(words)).astype(np.int8)
        else:
            docnums = self.docs(relax(all_query))
            if only_words_and_split_words(text, all_query):  # "x-ray" is a phrase, but not a requirement
                docnums = distinct([docnums, np.flatnonzero(totals > 0)])
            tiers = np.isin(docnums, self.docs(all_query)).astype(np.int8)
        exact = self.scorer.exact_title_docs(title_key(re.sub(r"\b\w+:\S+", "", text)))
        if len(exact) and not re.search(r"\b\w+:", text):  # a title of stop words ("and", "with") matches no word
            extra = np.setdiff1d(exact, docnums)
            docnums, tiers = np.concatenate([docnums, extra]), np.concatenate([tiers, np.zeros(len(extra), np.int8)])
        negated = negated_parts(all_query) if stems is None else []
        if negated:
            excluded = self.scorer.post_keys[self.docs(wq.Or(negated))]
            keep = ~np.isin(self.scorer.post_keys[docnums], excluded)
            docnums, tiers = docnums[keep], tiers[keep]
        scores = totals[docnums]
        if words:  # the heading, read with the post title, holds every word
            scores[(in_context[docnums] == len(words)) & in_heading[docnums]] *= 1 + HEADING_WEIGHT
        self.reward_proximity(docnums, scores, words, matched[docnums])
        if recent_boost:
            scores *= recency_factor(self.scorer.dates[docnums])
        if len(exact):
            tiers[np.isin(docnums, exact)] = 2
        return docnums, scores, tiers

    def reward_proximity(self, docnums: Any, scores: Any, words: list[tuple[str, ...]], matched: Any) -> None:
        """Raise the best sections' scores where the query's words stand close together (matched: how many of
        the words each section holds)."""
        if not 2 <= len(words) <= PROXIMITY_MAX_WORDS or not len(docnums):
            return
        top = self.best_sections(docnums, scores, PROXIMITY_DEPTH)
        top = top[matched[top] >= 2]  # one word alone is close to nothing: no positions to read
        closeness = self.scorer.proximity(docnums[top], [w[0] for w in words])
        scores[top] *= 1 + PROXIMITY_WEIGHT * closeness

    def best_sections(self, docnums: Any, scores: Any, count: int) -> Any:
        """Positions of the `count` best scores. Ties at the cut go by post key, then docnum (a post's sections
        are numbered in order), so the choice is the same however a build numbered its segments."""
        if len(scores) <= count:
            return np.arange(len(scores))
        threshold = np.partition(scores, len(scores) - count)[len(scores) - count]
        above, tied = np.flatnonzero(scores > threshold), np.flatnonzero(scores == threshold)
        tied = tied[np.lexsort((docnums[tied], self.scorer.post_keys[docnums[tied]]))]
        return np.concatenate([above, tied[: count - len(above)]])

    def rank(
        self, text: str, sort: str, start: int, count: int, recent_boost: bool = False
    ) -> tuple[int, list[tuple[float, list[tuple[float, int]]]]]:
        """The number of matching posts, and posts start..start+count as (score, [(section score, docnum)])."""
        docnums, scores, tiers = self.candidates(text, recent_boost)
        scorer = self.scorer
        posts = scorer.post_numbers[docnums]
        value = tiers * TIER_STEP + scores.astype(np.float64)  # a section ranks by its tier, then its score
        best = np.full(scorer.post_count, -np.inf)
        np.maximum.at(best, posts, value)  # each post's best section
        matched = np.flatnonzero(best > -np.inf)
        newest_first = -scorer.post_dates[matched].astype(np.float64)
        sort_keys = [newest_first, -best[matched]] if sort == "date" else [-best[matched], newest_first]
        order = leading_order(sort_keys, start + count + 1)
        def path_of(position: int) -> str:
            return self.paths[int(scorer.post_sections[matched[position]])]

        page = matched[self.settle_ties(order, sort_keys, path_of, start, count)]
        place = np.full(scorer.post_count, len(page))  # each post's place on the page; those not on it after
        place[page] = np.arange(len(page))
        shown = shown_sections(place[posts], len(page), value, tiers, docnums)
        ranked: list[list[tuple[float, int]]] = [[] for _ in page]
        for at, score, docnum in zip(place[posts[shown]].tolist(), scores[shown].tolist(), docnums[shown].tolist()):
            ranked[at].append((score, docnum))
        return len(matched), [(sections[0][0], sections) for sections in ranked]

    def settle_ties(
        self, order: Any, sort_keys: list[Any], path_of: Callable[[int], str], start: int, count: int
    ) -> list[int]:
        """The page of posts (positions in the sort keys), where posts tied on every sort key go in path order."""
        tie = list(zip(*[key[order].tolist() for key in sort_keys]))  # each position's sort keys
        low, high = start, min(len(order), start + count)
        while 0 < low < len(order) and tie[low - 1] == tie[low]:
            low -= 1
        while 0 < high < len(order) and tie[high] == tie[high - 1]:
            high += 1
        keys = tie[low:high]
        if len(set(keys)) == len(keys):  # no ties: the order stands (reading paths costs more than sorting)
            return order[low:high].tolist()
        window = sorted(range(low, high), key=lambda i: (keys[i - low], path_of(int(order[i]))))
        return [int(order[i]) for i in window[start - low : start - low + count]]

    def suggest(self, text: str) -> str | None:
        """The query with unknown words replaced by the closest indexed words, or None."""
        reader = self.searcher.reader()
        changed = text
        for word in set(re.findall(r"(?<![\w:*\"-])[^\W\d_]{3,}(?![\w:*])", text)):
            if word in {"AND", "OR", "NOT"} or self.known(reader, word):
                continue
            replacement = self.closest(word.lower())
            if replacement:
                changed = re.sub(rf"\b{re.escape(word)}\b", replacement, changed)
        return changed if changed != text else None

    def known(self, reader: Any, word: str) -> bool:
        """True for an indexed word, and for a stop word (never indexed, never misspelt)."""
        tokens = self.terms(word.lower())
        if not tokens or self.scorer.terms_found.intersection(tokens):  # the search just scored it: no look-up
            return True
        return any(reader.doc_frequency(field, t) for t in tokens for field in SEARCH_FIELDS)

    def closest(self, word: str) -> str | None:
        """The indexed word nearest in spelling (fewest edits, then most common), as written in a post.

        Candidates share the word's first letter (two for longer words): typos rarely start a word, and
        Whoosh measures the edit distance of every candidate in Python."""
        reader = self.searcher.reader()
        stemmed = self.stem(word)
        shared = 2 if len(stemmed) > 4 else 1
        for field in ("body", "title"):
            near = [t for t in reader.terms_within(field, stemmed, 2, prefix=shared) if t != stemmed]
            if near:
                best = min(near, key=lambda t: (edit_distance(t, stemmed), -reader.doc_frequency(field, t), t))
                return self.surface_form(field, best)
        return None

    def surface_form(self, field: str, stemmed: str) -> str:
        """A word as it appears in the text of a section that contains its stem."""
        docnum = next(iter(self.searcher.postings(field, stemmed).all_ids()))
        text = (self.scorer.post_fields(docnum) if field == "title" else self.stored(docnum)).get(field, "")
        words = dict.fromkeys(w.lower() for w in re.findall(r"\w+", text))  # each word stemmed once
        likely_first = sorted(words, key=lambda w: w[:1] != stemmed[:1])  # stems mostly begin like their words
        return next((w for w in likely_first if self.stem(w) == stemmed), stemmed)

    def stored(self, docnum: int) -> dict[str, Any]:
        """A section's stored fields, without language markers."""
        fields = self.scorer.stored_fields(docnum)
        for name in ("heading", "body"):
            if name in fields:
                fields[name] = strip_marker(fields[name])
        return fields

    def post_hit(self, score: float, sections: list[tuple[float, int]], terms: tuple[frozenset[str], tuple[str, ...]]) -> PostHit:
        """A result post with snippets for its best sections."""
        post = self.scorer.post_fields(sections[0][1])
        return PostHit(
            path=post["path"],
            url=post["url"],
            title=post["title"],
            date=post["date"],
            tags=post["tags"],
            score=score,
            sections=tuple(
                self.section_hit(s, self.stored(d), post["url"], terms) for s, d in sections[:SECTIONS_PER_POST]
            ),
        )

    def section_hit(
        self, score: float, fields: dict[str, Any], post_url: str, terms: tuple[frozenset[str], tuple[str, ...]]
    ) -> SectionHit:
        """One section with its snippet: prose first, then code, then the title and opening text."""
        words, prefixes = terms
        fragments = (
            self.highlighter.fragments(fields.get("body", ""), words, prefixes)
            or self.highlighter.fragments(fields.get("code", ""), words, prefixes)
            or self.highlighter.fragments(fields.get("heading_path", ""), words, prefixes)
            + self.highlighter.lead(fields.get("body", "") or fields.get("code", ""))
        )
        return SectionHit(
            heading=fields.get("heading", ""),
            heading_path=tuple(fields.get("heading_path", "").split(" > ")),
            anchor=fields.get("anchor", ""),
            url=f"{post_url}#{fields['anchor']}" if fields.get("anchor") else post_url,
            snippet=to_html(fragments),
            fragments=fragments,
            score=score,
        )

    def stats(self) -> IndexStats:
        """Posts, sections, size on disk and when the index was last built."""
        size = sum(p.stat().st_size for p in self.index_dir.iterdir() if p.is_file())
        return IndexStats(
            posts=self.manifest.posts,
            sections=self.manifest.sections,
            size_bytes=size,
            built_at=self.manifest.built_at,
            index_dir=str(self.index_dir),
            posts_dir=self.manifest.posts_dir,
            settings=self.manifest.settings.to_dict(),
        )


def shown_sections(places: Any, page_size: int, value: Any, tiers: Any, docnums: Any) -> Any:
    """Positions of the sections to show, by the place of their post on the page (page_size for a post not on
    it), best first: up to SECTIONS_PER_POST a post, and only those in the tier of its best one (under a
    section with all the words, one with only some of them is noise)."""
    shown = np.flatnonzero(places < page_size)
    shown = shown[np.lexsort((docnums[shown], -value[shown], places[shown]))]
    place = places[shown]
    first = np.searchsorted(place, place)  # where each section's post begins in `shown`
    keep = (tiers[shown] == tiers[shown[first]]) & (np.arange(len(shown)) - first < SECTIONS_PER_POST)
    return shown[keep]


def leading_order(sort_keys: list[Any], needed: int) -> Any:
    """Positions of the first `needed` entries in the order of the sort keys (first key first), and of every
    entry tied with them on the first key; the rest of the order is never needed."""
    primary = sort_keys[0]
    leading = np.arange(len(primary))
    if needed < len(primary):
        leading = np.flatnonzero(primary <= np.partition(primary, needed - 1)[needed - 1])
    return leading[np.lexsort([key[leading] for key in sort_keys[::-1]])]


def path_column(reader: Any) -> Any:
    """Each section's post path by docnum (an index of no posts has no columns)."""
    return reader.column_reader("path") if reader.doc_count_all() else []


def recency_factor(date_orders: Any) -> Any:
    """1 + RECENCY_WEIGHT halved every RECENCY_HALF_LIFE_DAYS of age; 1 for undated posts."""
    now = (datetime.now() - datetime(1970, 1, 1)).total_seconds()
    age_days = np.maximum(0.0, (now - date_orders.astype(np.float64)) / 86400)
    factor = 1 + RECENCY_WEIGHT * np.power(0.5, age_days / RECENCY_HALF_LIFE_DAYS)
    return np.where(date_orders == UNDATED, 1.0, factor).astype(np.float32)


def open_index(index_dir: Path | str = "index") -> SearchIndex:
    """Open an index for searching."""
    return SearchIndex(index_dir)
