"""Query text -> ranked hits grouped per post, with highlighted snippets: SearchIndex, over the job modules
(parsing, matching, ranking, spelling, snippets, results) and one Snapshot of the index at a time."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .config import SORTS, Settings
from .errors import IndexClosed, IndexNotFound, IndexSwapped, PostsearchError, QueryError, shown
from .manifest import current_build, folder_identity
from .matching import Deadline, filter_docs, translations
from .parsing import as_typed, check, highlight_terms, repair
from .ranking import SECTIONS_PER_POST, Ranking, Request, rank
from .results import Completions, Facets, IndexStats, Link, PostHit, SearchResults, SectionHit, plural
from .snapshot import Snapshot
from .snippets import best_fragment, landing_url, landing_words, to_html
from .spelling import suggest

__all__ = ["SearchIndex", "open_index", "SearchResults", "PostHit", "SectionHit", "IndexStats"]

HighlightTerms = tuple[frozenset[str], tuple[str, ...]]  # words and prefixes a snippet marks


class SearchIndex:
    """An open index answering queries, safe to share between threads; use it as a context manager or call
    close(). Each search runs on the newest committed generation when it starts."""

    def __init__(self, index_dir: Path | str = "index") -> None:
        self.index_dir = Path(index_dir)
        self.current = open_snapshot(self.index_dir)
        self.swap = threading.Lock()  # guards `current` and `closed`: a snapshot is acquired and replaced under it
        self.refreshing = threading.Lock()  # one thread at a time opens a newer generation
        self.checked_stamp: tuple[int, int, int] | None = None  # the folder (device, inode, time) at the last look, once settled
        self.closed = False

    def __enter__(self) -> SearchIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Release the index's files (at once, or when the searches still running end)."""
        with self.swap:
            if self.closed:
                return
            self.closed = True
        self.current.retire()

    @property
    def generation(self) -> int:
        """The index generation new searches run on."""
        return self.current.generation

    @property
    def build_id(self) -> str:
        """The build new searches run on: made anew by each commit, so another folder swapped in is told apart
        from this one whatever its generation number."""
        return self.current.key[0]

    @contextmanager
    def snapshot(self) -> Iterator[Snapshot]:
        """The newest generation, held open while the caller uses it."""
        self.refresh()
        with self.swap:
            if self.closed:
                raise IndexClosed(self.index_dir, f"The index in {self.index_dir} was closed.")
            snap = self.current.acquire()
        try:
            yield snap
        finally:
            snap.release()

    def refresh(self) -> None:
        """Pick up what the folder holds now if it is not what the current snapshot was opened from: a newer
        commit, or another build swapped in (a folder renamed into place, a link switched, a copy restored),
        whatever its generation number. While one thread opens it, the others go on with the current one; if it
        cannot be opened (a commit under way, a folder gone or half-copied), the current one keeps answering."""
        if not self.refreshing.acquire(blocking=False):
            return
        try:
            seen = folder_identity(self.index_dir)
            if seen is not None and seen == self.checked_stamp:
                return  # the same folder, no file added since the last look (a stat, not a listing of it)
            if current_build(self.index_dir) not in (None, self.current.key):
                try:
                    fresh = Snapshot(self.index_dir)
                except (PostsearchError, OSError, EOFError, ValueError):
                    return  # replaced or half-written while opening: try again at the next search
                with self.swap:
                    stale, self.current = self.current, fresh
                stale.retire()
            self.checked_stamp = seen
        finally:
            self.refreshing.release()

    def search(
        self,
        query: str,
        page: int = 1,
        per_page: int = 10,
        sort: str = "relevance",
        recent_boost: bool = False,
        filters: Mapping[str, str | Iterable[str]] | None = None,
        facets: bool = False,
        time_limit: float | None = None,
        typing: bool = False,
    ) -> SearchResults:
        """The given page of posts matching the query, best first (or newest first with sort='date').

        recent_boost gently favours newer posts: up to 25% more for a post of today, half that after a year.
        filters keeps posts with the given tag, category, author, lang or year ({"tag": "rust", "year": "2023"});
        facets counts the tags, categories, authors and years of all matching posts; time_limit (seconds) stops a query that runs
        longer with what it found by then, marked partial. typing: the query is being typed (a search box that
        searches on every keystroke): its last word, unless a space follows it, is the start of a word, and is
        never spell-corrected."""
        if sort not in SORTS:
            raise QueryError(query, f"Unknown sort {sort!r}: use one of {', '.join(SORTS)}.")
        page, per_page = positive_number(query, "page", page), positive_number(query, "per_page", per_page)
        check(query)
        deadline = Deadline(time_limit)
        with self.snapshot() as snap:
            request = Request(sort, (page - 1) * per_page, per_page, recent_boost, filter_docs(snap, filters), deadline)
            return run_search(snap, query, page, request, facets, typing)

    def suggest(self, text: str, limit: int = 8) -> Completions:
        """Completions for a query being typed: post titles, section headings and words, the last word taken as
        the start of a word."""
        from .completion import complete

        with self.snapshot() as snap:
            return complete(snap, text, limit)

    def links(self) -> tuple[Link, ...]:
        """Every post URL and section URL (url#anchor) the index can return, in index order."""
        with self.snapshot() as snap:
            reader, found = snap.reader, []
            for docnum in reader.all_doc_ids():
                post, fields = snap.scorer.post_fields(docnum), snap.stored(docnum)
                if not fields.get("position"):
                    found.append(Link(post["url"], post["path"], post["title"]))
                if fields.get("anchor"):
                    url = f"{post['url']}#{fields['anchor']}"
                    found.append(Link(url, post["path"], post["title"], fields.get("heading", "")))
            return tuple(found)

    def settings(self) -> Settings:
        """The settings the answering generation was built with."""
        return self.current.state.settings

    def stats(self) -> IndexStats:
        """Posts, sections, size on disk and when the index was last built."""
        state = self.current.state
        size = sum(p.stat().st_size for p in self.index_dir.iterdir() if p.is_file())
        return IndexStats(
            posts=state.posts,
            sections=state.sections,
            size_bytes=size,
            built_at=state.built_at,
            index_dir=str(self.index_dir),
            posts_dir=state.posts_dir,
            settings=state.settings.to_dict(),
            build_id=self.current.key[0],
            generation=self.current.generation,
        )


def positive_number(query: str, name: str, value: Any) -> int:
    """A page or page size as a whole number of at least 1 (1 for smaller numbers); QueryError for anything else."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise QueryError(query, f"{name} must be a whole number, not {value!r}.") from None
    return max(1, number)


def run_search(
    snap: Snapshot, query: str, page: int, request: Request, facets: bool, typing: bool = False
) -> SearchResults:
    """A page of results from one snapshot; the whole query, auto-correction included, in one place."""
    searched, settled = as_typed(query) if typing else (query, query)  # settled: the part spelling may correct
    searched = repair(searched)
    parsed, translated = snap.parser.parse(searched), translations(snap, searched)
    ranking = rank(snap, parsed, translated, request)
    suggestion = spelling(snap, repair(settled) if settled == query else settled, ranking, request.deadline)
    if suggestion and settled != query:
        suggestion += query[len(settled) :]  # the word being typed, as typed
    corrected = False
    if suggestion and not ranking.complete:  # nothing matched the whole query: the corrected one, if it does
        fixed_text = repair(as_typed(suggestion)[0] if typing else suggestion)
        fixed_parsed, fixed_translated = snap.parser.parse(fixed_text), translations(snap, fixed_text)
        fixed = rank(snap, fixed_parsed, fixed_translated, request)
        if fixed.complete:
            parsed, translated, ranking, corrected = fixed_parsed, fixed_translated, fixed, True
    words, prefixes = highlight_terms(parsed.query) if parsed.stems is None else (frozenset(parsed.stems), ())
    words -= ranking.common_terms  # "the" marked everywhere would say nothing (and cost the most)
    terms = (words | {stem for stems in translated.values() for stem in stems}, prefixes)
    pages = max(1, math.ceil(ranking.total / request.count))
    hits = tuple(post_hit(snap, score, sections, terms) for score, sections in ranking.posts)
    counted = facet_counts(snap, ranking, request.deadline) if facets else None
    return SearchResults(
        query, ranking.total, page, pages, suggestion, corrected, hits, snap.generation, request.deadline.passed, counted,
        snap.key[0],
    )


def facet_counts(snap: Snapshot, ranking: Ranking, deadline: Deadline) -> Facets | None:
    """The facets of the matching posts; none (the answer partial) when the generation's facet table is still to
    be read and the query's time is spent (~0.1 s on cpp-docs: a cold 1-second query took 1.24 s with it)."""
    if snap.facets is None and deadline.expired():
        return None
    return snap.facet_table().count(ranking.matched)


def spelling(snap: Snapshot, text: str, ranking: Ranking, deadline: Deadline) -> str | None:
    """The did-you-mean of a query, looked for while there is time: a misspelt word left uncorrected for want
    of it (or of the generation's vocabulary, read in the background on a query with a time limit) marks the
    answer partial."""
    if deadline.end is not None and snap.vocabulary_within(deadline.end - time.monotonic()) is None:
        return suggest(snap, text, ranking.terms_found, deadline.cut)  # a misspelt word: cut, none corrected
    return suggest(snap, text, ranking.terms_found, deadline.expired)


def post_hit(snap: Snapshot, score: float, sections: list[tuple[float, int]], terms: HighlightTerms) -> PostHit:
    """A result post with snippets for its best sections."""
    post = snap.scorer.post_fields(sections[0][1])
    return PostHit(
        path=post["path"],
        url=post["url"],
        title=post["title"],
        date=post["date"],
        tags=post["tags"],
        score=score,
        sections=tuple(section_hit(snap, s, snap.stored(d), post["url"], terms) for s, d in sections[:SECTIONS_PER_POST]),
    )


def section_hit(snap: Snapshot, score: float, fields: dict[str, Any], post_url: str, terms: HighlightTerms) -> SectionHit:
    """One section with its snippet: its prose where the words are, else its code, else its opening text (a
    match in the heading or title shows on the lines above the snippet, not in it)."""
    words, prefixes = terms
    highlighter = snap.highlighter
    fragments = (
        highlighter.fragments(fields.get("body", ""), words, prefixes)
        or highlighter.fragments(fields.get("code", ""), words, prefixes)
        or highlighter.lead(fields.get("body", "") or fields.get("code", ""))
    )
    url = f"{post_url}#{fields['anchor']}" if fields.get("anchor") else post_url
    best = best_fragment(fragments)
    shown = [to_html((fragment,)) for fragment in fragments]  # each rendered once: the short snippet is one of them
    return SectionHit(
        heading=fields.get("heading", ""),
        heading_path=tuple(fields.get("heading_path", "").split(" > ")),
        anchor=fields.get("anchor", ""),
        url=url,
        snippet=" ".join(shown),
        fragments=fragments,
        score=score,
        short_snippet=shown[fragments.index(best[0])] if best else "",
        text_url=landing_url(url, landing_words(best[0]) if best else ""),
    )


def open_snapshot(index_dir: Path, attempts: int = 6) -> Snapshot:
    """The folder's current generation, opened again when the folder was swapped while it was being opened, or
    a commit's state was not written yet: after 0.05 s, then twice as long each time (1.25 s in all; opened at
    once, five tries could all fall between a watch run's commit and its state)."""
    for attempt in range(attempts - 1):
        try:
            return Snapshot(index_dir)
        except IndexSwapped:
            time.sleep(min(0.05 * 2**attempt, 0.5))
    return Snapshot(index_dir)


def open_index(index_dir: Path | str = "index") -> SearchIndex:
    """Open an index for searching."""
    return SearchIndex(index_dir)


def open_or_build(index_dir: Path, posts_dir: Path, notify: Callable[[str], None] = lambda message: None) -> SearchIndex:
    """The index in index_dir, built from posts_dir first when there is none yet (saying so through notify)."""
    try:
        return open_index(index_dir)
    except IndexNotFound as missing:
        if not Path(posts_dir).is_dir():
            reason = f"No index in {shown(index_dir)}, and no posts folder {shown(posts_dir)} to build one from."
            raise IndexNotFound(index_dir, reason) from missing
    from .indexer import build_index  # only now: a query process never loads the indexing code otherwise

    notify(f"No index in {shown(index_dir)} yet: indexing {shown(posts_dir)} first.")
    summary = build_index(posts_dir, index_dir)
    notify(f"Indexed {plural(summary.added, 'post')} ({plural(summary.sections, 'section')}).")
    return open_index(index_dir)

