"""Query text -> a parsed query: repaired, checked, parsed by Whoosh's parser (or, for plain words, built
directly), and the questions later steps ask of its tree."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from whoosh import qparser
from whoosh import query as wq

from .analysis import CJK_RUN
from .dates import Span, extract_dates
from .errors import QueryError
from .index_format.schema import SEARCH_FIELDS

FIELD_ALIASES = {"tags": ["tag"], "categories": ["category"], "author": ["authors", "by"], "heading": ["section"]}
LEADING_WILDCARD = re.compile(r"(?:^|[\s(:\"])\*\w")
# "?" ends questions rather than standing for a letter ("ownership?" would miss "ownership"), and a "*" after no
# word would expand to every word in the index
NOT_WILDCARDS = re.compile(r"\?|(?<![\w*])\*+(?!\w)")
PLAIN_WORDS = re.compile(r"\s*[^\W_]+(?:\s+[^\W_]+)*\s*")
OPERATORS = {"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE", "TO"}
# Whoosh's parser builds each side of ANDNOT, ANDMAYBE and REQUIRE twice (BinaryGroup.query), so a chain of n
# costs 2^n: 18 took 8.3 s. 6 cost ~10 ms; more are refused with a query error, as are deeper brackets.
BINARY_OPERATOR = re.compile(r"(?<!\S)(?:ANDNOT|ANDMAYBE|REQUIRE)(?!\S)")
MAX_BINARY_OPERATORS = 6
MAX_NESTING = 8
MAX_QUERY_CHARS = 500  # longer text is refused (Algolia's limit is 512)


FIELD_NAMES = ("title", "heading", "section", "body", "code", "tag", "tags", "category", "categories", "author",
               "authors", "by", "lang", "date")
FIELD_NAME = re.compile(r"(?<![\w:/.])([A-Za-z_]\w*):(?![/:])")  # not a URL's scheme nor C++'s std::
# Possessive quantifiers: "-a-a-a" is one exclusion, never re-split (the plain form backtracked exponentially:
# 50 characters took 2.2 s)
WORD_CHAR = re.compile(r"[^\W_]")  # a letter or digit: an identifier's last part is the word being typed
FIELD_PREFIX = re.compile(r"(?:^|\s)[A-Za-z_]\w*:$")  # a field name typed before the word
ONLY_EXCLUSIONS = re.compile(r'\s*+(?:-(?:"[^"]*+"|[^\s"]++)\s*+)++')
EXCLUSION = re.compile(r'(?:^|(?<=\s))-(?=["\w])')


@dataclass(frozen=True)
class ParsedQuery:
    """A query as parsed: its (repaired) text, the query with every word required, for a query of plain words
    their stems (each once), which later steps read instead of walking the tree, and its date spans. `everything`
    marks a query of date filters alone: every post in the dates matches."""

    text: str
    query: wq.Query
    stems: tuple[str, ...] | None = None
    dates: tuple[Span, ...] = ()
    everything: bool = False


class Parser:
    """Parses query text for one index (its schema and language); safe to share: each thread gets its own Whoosh
    parsers, which are built on first use."""

    def __init__(self, schema: Any, terms: Callable[[str], list[str]]) -> None:
        self.schema = schema
        self.terms = terms  # the index terms the site's language makes of a text
        self.local = threading.local()

    def parse(self, text: str) -> ParsedQuery:
        """The query with every word required (relax() makes the any-word form)."""
        stems = self.plain_stems(text)
        if stems is not None:
            return ParsedQuery(text, words_query(stems), stems)
        rest, dates = extract_dates(text)
        rest = exclusions_alone(field_names(rest))
        if dates and not re.search(r"\w", rest):
            return ParsedQuery(text, wq.NullQuery, None, dates, everything=True)
        parser = self.whoosh_parser()
        try:
            return ParsedQuery(text, parser.parse(rest), None, dates)
        except Exception:  # the parser raises assorted errors on odd input: search its words instead
            words = re.sub(r"[^\w\s]", " ", rest).lower()  # operators are upper case
            try:
                return ParsedQuery(text, parser.parse(words), None, dates)
            except Exception as error:
                reason = f"Cannot read this query ({error}); check its quotes, brackets and field names."
                raise QueryError(text, reason) from error

    def whoosh_parser(self) -> qparser.QueryParser:
        """This thread's Whoosh parser."""
        if not hasattr(self.local, "parser"):
            self.local.parser = make_parser(self.schema)
        return self.local.parser

    def plain_stems(self, text: str) -> tuple[str, ...] | None:
        """The stems of a query of plain words, each once (none are dropped: every word is indexed), from which words_query() builds
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


def as_typed(text: str) -> tuple[str, str]:
    """A query being typed, as searched: the word being typed (the letters at its end, no space after them) as a
    prefix (borrow che -> borrow che*, as Meilisearch, Algolia and Pagefind read it), set apart from a mark
    typed before it (clippy::und -> clippy:: und*, (upd -> ( upd*, if_not_ex -> if_not_ ex*); and the part before that word, the only
    part a spelling correction may change ("borrow che" became "borrow the")."""
    start = len(text)
    while start and WORD_CHAR.fullmatch(text[start - 1]):  # a regex \w+$ would retry from every start
        start -= 1
    head, word = text[:start], text[start:]
    if not word or word in OPERATORS:
        return text, text
    joined = not head or head[-1].isspace() or FIELD_PREFIX.search(head)  # tag:ru stays one field's prefix
    return f"{head}{'' if joined else ' '}{word}*", head


def check(text: str) -> None:
    """Reject what cannot be searched, or would cost more than a request may, saying how to fix it."""
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(text[:80], f"The query is {len(text)} characters long; at most {MAX_QUERY_CHARS} are searched.")
    if len(BINARY_OPERATOR.findall(text)) > MAX_BINARY_OPERATORS:
        raise QueryError(text, f"At most {MAX_BINARY_OPERATORS} of ANDNOT, ANDMAYBE and REQUIRE in one query: use NOT words instead.")
    if nesting(text) > MAX_NESTING:
        raise QueryError(text, f"Brackets nest at most {MAX_NESTING} deep in a query.")
    if LEADING_WILDCARD.search(text):
        raise QueryError(text, "Leading wildcards are not supported: put the * at the end of a word, e.g. 'rust*'.")


def nesting(text: str) -> int:
    """How deep the query's brackets nest."""
    depth = deepest = 0
    for char in text:
        if char in "()":
            depth = max(0, depth + (1 if char == "(" else -1))
            deepest = max(deepest, depth)
    return deepest


def field_names(text: str) -> str:
    """The text with its field names lower-cased (Title:vim is title:vim); a word before a colon that names no
    field is text ("Walkthrough: Using MSBuild", a heading pasted in: 32 of 1,303 link texts were refused as
    unknown fields). Text in quotes is left as it is."""
    if ":" not in text:
        return text

    def known(match: re.Match[str]) -> str:
        name = match[1].lower()
        return name + ":" if name in FIELD_NAMES else match[1] + " "

    parts = text.split('"')
    parts[::2] = [FIELD_NAME.sub(known, part) for part in parts[::2]]
    return '"'.join(parts)


def exclusions_alone(text: str) -> str:
    """A query of exclusions only (-windows, -git -windows) as NOT words: every post without them."""
    return EXCLUSION.sub("NOT ", text) if ONLY_EXCLUSIONS.fullmatch(text) else text


def make_parser(schema: Any) -> qparser.QueryParser:
    """The query parser: all words required, over every searchable field (dates are read by dates.py)."""
    parser = qparser.MultifieldParser(list(SEARCH_FIELDS), schema, group=qparser.AndGroup)
    parser.remove_plugin_class(qparser.SingleQuotePlugin)
    parser.remove_plugin_class(qparser.EveryPlugin)
    # + and - only mark words at their start, so "0-dimensional", "x-ray" and "alpha (+)-" stay words.
    marks = r"(?:^|(?<=[\s(])){}(?=[\w\"(])"
    parser.add_plugin(qparser.PlusMinusPlugin(plusexpr=marks.format(r"\+"), minusexpr=marks.format("-")))
    parser.add_plugin(qparser.FieldAliasPlugin(FIELD_ALIASES))
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
