"""One generation of an index, opened: its searcher, scorer arrays, state and parser, read-only once built.

A SearchIndex holds the newest Snapshot and replaces it whole when another process commits; a query keeps the
snapshot it started with (acquire/release), and a replaced snapshot closes its files when its last query ends.
"""

from __future__ import annotations

import fnmatch
import re
import threading
from collections import Counter, OrderedDict
from collections.abc import Callable
from functools import lru_cache, partial
from pathlib import Path
from typing import Any

from .analysis import index_terms
from .errors import IndexDamaged, IndexSwapped, IndexVersionMismatch, PostsearchError, shown
from .facets import FacetTable
from .index_format import open_whoosh_index
from .index_format.posts import PostArrays
from .index_format.schema import SCHEMA_VERSION, SEARCH_FIELDS, build_schema
from .languages import strip_marker
from .manifest import IndexState, current_build, folder_key, require_state
from .parsing import Parser, literal_start
from .scoring import BM25FScorer
from .snippets import Highlighter
from .vocabulary import Vocabulary

MAX_EXPANSIONS = 64  # words a prefix* query or a [a TO b] range stands for: those in most sections
RANGE_SCAN = 2000  # words of a field a range looks at, from its start: [a TO z] holds most of a site's words
EXPANSIONS_KEPT = 256  # prefixes whose expansions a snapshot remembers
SCAN_CLOCK_EVERY = 32  # words of a prefix scanned between two looks at a query's clock (each ~25 µs to look up)


class Snapshot:
    """Everything a query reads from one committed generation of an index."""

    def __init__(self, index_dir: Path) -> None:
        self.index_dir = index_dir
        folder = folder_key(index_dir)
        self.state: IndexState = require_state(index_dir, SCHEMA_VERSION)
        index = open_whoosh_index(index_dir)
        if set(index.schema.names()) != set(build_schema().names()):
            index.close()
            raise IndexVersionMismatch(index_dir, f"The index in {shown(index_dir)} was written with another schema.")
        self.searcher = open_searcher(index, index_dir)
        self.reader = self.searcher.reader()
        self.generation: int = self.reader.generation()
        self.scorer = BM25FScorer(self.searcher, PostArrays.load(index_dir, self.generation))
        self.paths = self.reader.column_reader("path") if self.reader.doc_count_all() else []
        self.lang = self.state.settings.lang
        self.other_languages = self.state.languages  # post languages besides the site's
        self.parser = Parser(index.schema, self.terms)
        self.highlighter = Highlighter(
            [self.stem] + [partial(self.stem, lang=lang) for lang in self.other_languages],
            size=self.state.settings.snippet_length,
            prefilter=self.lang.startswith("en") and not self.other_languages,
        )
        self.remembered: OrderedDict[str, tuple[str, ...] | PrefixScan] = OrderedDict()  # recent patterns' expansions
        self.remembering = threading.Lock()
        self.range_expansions = lru_cache(maxsize=EXPANSIONS_KEPT)(self.expand_range)
        self.facets: FacetTable | None = None  # built on first use (see facet_table)
        self.words: Vocabulary | None = None  # built on first use (see vocabulary)
        self.reading_words = threading.Lock()  # one thread reads the vocabulary; searches go on meanwhile
        self.words_started = False
        self.words_read = threading.Event()
        self.guard = threading.Lock()
        self.users = 0
        self.retired = False
        self.key = (self.state.build, index.latest_generation())  # what the folder held when this was opened
        stale_state = self.state.generation != self.key[1]  # a commit whose state file is not written yet
        if stale_state or folder_key(index_dir) != folder or current_build(index_dir) != self.key:
            self.searcher.close()  # another folder (or build) took the path's place while this one was read
            raise IndexSwapped(index_dir, f"The index in {shown(index_dir)} changed while it was being opened.")

    def acquire(self) -> Snapshot:
        """Mark the snapshot in use by one more query."""
        with self.guard:
            self.users += 1
        return self

    def release(self) -> None:
        """A query is done with the snapshot; the last one out of a retired snapshot closes it."""
        with self.guard:
            self.users -= 1
            closing = self.retired and self.users == 0
        if closing:
            self.close()

    def retire(self) -> None:
        """No new query will use the snapshot: close it now, or when its last query ends."""
        with self.guard:
            self.retired = True
            closing = self.users == 0
        if closing:
            self.close()

    def close(self) -> None:
        """Close the generation's files. Whoosh's readers and the arrays viewing their memory maps form reference
        cycles, and a map's file stays open until they are collected: without dropping them and collecting here,
        8 threads searching through 100 commits kept 78 old segment and array files open (deleted files, so their
        disk space too)."""
        import gc

        self.searcher.close()
        del self.searcher, self.reader, self.scorer, self.paths, self.range_expansions
        self.remembered.clear()
        gc.collect()

    def vocabulary(self) -> Vocabulary:
        """The generation's indexed words, read once, when a query first needs a spelling correction (~1 s on
        cpp-docs' 118,000 words; searches that do not need it go on meanwhile)."""
        if self.words is None:
            with self.reading_words:
                if self.words is None:
                    self.words = Vocabulary.read(self.reader, SEARCH_FIELDS)
        return self.words

    def vocabulary_within(self, seconds: float) -> Vocabulary | None:
        """The vocabulary, waiting at most `seconds` for it to be read (in a background thread, started once):
        None when it takes longer, so a query with a time limit never waits past it (~1 s on cpp-docs)."""
        if self.words is not None:
            return self.words
        with self.guard:
            started, self.words_started = self.words_started, True
        if not started:
            threading.Thread(target=self.read_words_quietly, daemon=True).start()
        self.words_read.wait(max(0.0, seconds))
        return self.words

    def read_words_quietly(self) -> None:
        """vocabulary(), in a background thread: a snapshot closed meanwhile leaves it unread."""
        try:
            self.vocabulary()
        except Exception:  # noqa: BLE001 (closed under it: the next generation reads its own)
            pass
        finally:
            self.words_read.set()

    def facet_table(self) -> FacetTable:
        """The generation's facet values by post, read once, when a query first asks for facets."""
        if self.facets is None:
            with self.guard:
                if self.facets is None:
                    posts = self.scorer.posts
                    table = FacetTable.build(posts.count, posts.first_sections, posts.post_dates, self.scorer.post_fields)
                    self.facets = table
        return self.facets

    def terms(self, text: str, lang: str | None = None) -> list[str]:
        """The index terms the site's language (or the given one) makes of a text, as its analyzer would."""
        return index_terms(text, lang or self.lang)

    def stem(self, word: str, lang: str | None = None) -> str:
        """A word as the site's language (or the given one) analyses it."""
        return next(iter(self.terms(word, lang)), word)

    def stored(self, docnum: int) -> dict[str, Any]:
        """A section's stored fields, without language markers."""
        fields = self.scorer.stored_fields(docnum)
        for name in ("heading", "body"):
            if name in fields:
                fields[name] = strip_marker(fields[name])
        return fields

    def expansions(self, pattern: str, out_of_time: Callable[[], bool] = lambda: False) -> tuple[str, ...]:
        """The MAX_EXPANSIONS indexed words a prefix* or wild*card pattern stands for, those in most sections
        first, from the words scanned before out_of_time() said so. A scan cut short goes on where it stopped
        at the pattern's next query; a whole one is remembered (EXPANSIONS_KEPT patterns)."""
        with self.remembering:
            known = self.remembered.get(pattern)
            if isinstance(known, tuple):
                self.remembered.move_to_end(pattern)
                return known
            scan = known or PrefixScan(self.reader, pattern)
            self.remembered[pattern] = scan
            self.remembered.move_to_end(pattern)
            if len(self.remembered) > EXPANSIONS_KEPT:
                self.remembered.popitem(last=False)
        whole = scan.run(out_of_time)
        found = scan.best()
        if whole:
            with self.remembering:
                if pattern in self.remembered:
                    self.remembered[pattern] = found
        return found

    def expand_range(self, field: str, start: str, end: str, start_open: bool, end_open: bool) -> tuple[str, ...]:
        """The MAX_EXPANSIONS indexed words of a field in a [start TO end] range that most sections hold, among
        the first RANGE_SCAN from its start (Whoosh would match each of thousands of words: [a TO z] took 18 s
        on cpp-docs). Call range_expansions(), which remembers them."""
        counts = range_terms(self.reader, field, start, end, start_open, end_open)
        return tuple(term for term, _ in counts.most_common(MAX_EXPANSIONS))


class PrefixScan:
    """One pattern's scan of the index's words, each looked up for the sections holding it: resumable, since a
    short prefix stands for thousands of words (`a*` on cpp-docs: ~0.1 s on a freshly opened index) and a query
    out of time stops it. The clock is read every SCAN_CLOCK_EVERY words."""

    def __init__(self, reader: Any, pattern: str) -> None:
        self.reader = reader
        self.matches = re.compile(fnmatch.translate(pattern)).match
        self.counts = Counter[str]()
        start = literal_start(pattern)
        self.words = ((field, found) for field in SEARCH_FIELDS for found in reader.expand_prefix(field, start))
        self.scanning = threading.Lock()  # one query scans at a time; another waits for it (within its budget)

    def run(self, out_of_time: Callable[[], bool]) -> bool:
        """Scan on until the words end (True) or out_of_time() says so (False)."""
        with self.scanning:
            for scanned, (field, found) in enumerate(self.words, 1):
                term = found.decode("utf-8") if isinstance(found, bytes) else found
                if self.matches(term):
                    self.counts[term] += self.reader.doc_frequency(field, found)
                if scanned % SCAN_CLOCK_EVERY == 0 and out_of_time():
                    return False
            return True

    def best(self) -> tuple[str, ...]:
        """The words scanned so far that most sections hold."""
        with self.scanning:
            return tuple(term for term, _ in self.counts.most_common(MAX_EXPANSIONS))


def range_terms(reader: Any, field: str, start: str, end: str, start_open: bool, end_open: bool) -> Counter[str]:
    """Up to RANGE_SCAN indexed words of a field from start to end, each with its section count."""
    counts = Counter[str]()
    for scanned, (name, found) in enumerate(reader.terms_from(field, start or "")):
        if name != field or scanned >= RANGE_SCAN:  # the next field's terms follow: they may not even be text
            break
        term = found.decode("utf-8") if isinstance(found, bytes) else found
        if end and (term > end or (end_open and term == end)):
            break
        if not (start_open and term == start):
            counts[term] = reader.doc_frequency(field, found)
    return counts


def open_searcher(index: Any, index_dir: Path) -> Any:
    """Whoosh's searcher over every segment; IndexDamaged when a segment cannot be read."""
    try:
        return index.searcher()
    except PostsearchError:
        raise
    except (EOFError, OSError, ValueError, KeyError, IndexError) as error:
        message = f"The index in {shown(index_dir)} cannot be read ({type(error).__name__}: {error})."
        raise IndexDamaged(index_dir, message) from error
