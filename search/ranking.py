"""Matching sections -> ranked posts: tiers (exact title, all words, some words), BM25F with heading and
proximity rewards, an optional recency boost, one score a post, and a stable order for ties."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray
from whoosh import query as wq

from .analysis import title_key
from .index_format.posts import PostArrays
from .index_format.schema import UNDATED
from .matching import Deadline, MatchingSource, docs, query_words
from .parsing import ParsedQuery, is_plain_words, negated_parts, only_words_and_split_words, relax
from .scoring import COMMON_FROM, COMMON_SHARE, WordPostings, WordScores, distinct

SECTIONS_PER_POST = 3
TIER_STEP = 1e6  # far above any section's score: a better tier always ranks first
PROXIMITY_DEPTH = 50  # best sections checked for how close the query's words stand
PROXIMITY_WEIGHT = 0.5  # an exact phrase scores 1.5x; words spread over a paragraph barely more than 1x
PROXIMITY_MAX_WORDS = 4  # a longer query is a pasted sentence: how close its words stand says little (SciFact: -0.03)
HEADING_WEIGHT = 1.0  # a section whose heading and title hold every query word scores double
TITLE_WEIGHT = 1.5  # a section of a post whose title holds every query word (a digest post's heading less)
EXACT_HEADING_WEIGHT = 0.2  # a section whose heading is the query: more (with HEADING_WEIGHT 2.4x, below a title's 2.5x)
TITLE_SHARE_POWER = 2.0  # a title holding some of a short query's words: TITLE_WEIGHT times the share, squared ...
TITLE_SHARE_MAX_WORDS = 4  # ... up to this many words (a longer query is a pasted sentence: all its words or nothing)
SCORING_SHARE = 0.5  # of a query's time budget, what scoring its words may take (matching takes the rest)
# Matching sections are scored one by one (gathered) while fewer than 1 in SPARSE_SHARE of all sections match, as
# arrays of every section beyond (gathering the 60,000 sections of "the" on cpp-docs took longer)
SPARSE_SHARE = 4
RECENCY_WEIGHT = 0.25  # with recent_boost: a post of today scores up to 1.25x ...
RECENCY_HALF_LIFE_DAYS = 365  # ... and that extra halves every year

RankedPost = tuple[float, list[tuple[float, int]]]  # a post's score, its shown sections as (score, docnum)


class RankingSource(MatchingSource, Protocol):
    """What ranking reads of one index generation besides what matching reads (a Snapshot gives it)."""

    @property
    def reader(self) -> Any: ...  # Whoosh's IndexReader: doc_frequency
    @property
    def paths(self) -> Any: ...  # each section's post path, by docnum (ties go in path order)


@dataclass(frozen=True)
class Ranking:
    """One page of ranked posts, how many posts matched (and which: post numbers), and the terms the scorer
    found in the index."""

    total: int
    posts: list[RankedPost]
    terms_found: frozenset[str]
    matched: Any
    complete: bool = False  # some section matched the whole query (not only some of its words)
    common_terms: frozenset[str] = frozenset()  # terms of the query's common words, when it has rarer ones


@dataclass(frozen=True)
class Request:
    """What a query asks of ranking besides its words."""

    sort: str = "relevance"
    start: int = 0
    count: int = 10
    recent_boost: bool = False
    allowed: Any = None  # docnums the filters allow (None: all)
    deadline: Deadline = field(default_factory=lambda: Deadline(None))
    prune: bool = True  # score only the best tier's sections when it fills the page, only a typed query's matches (False: score every one)


@dataclass
class Candidates:
    """Matching sections as parallel arrays: docnums, scores and tiers (2 exact title or heading, 1 all words,
    0 some words)."""

    docnums: NDArray[np.int64]
    tiers: NDArray[np.int8]
    scores: NDArray[np.float32]
    matching_posts: NDArray[np.int64] | None = None  # when these are only the best tier's: every matching post

    def keep(self, mask: NDArray[np.bool_]) -> None:
        """Keep only the sections where mask is True (in every array alike)."""
        self.docnums, self.tiers, self.scores = self.docnums[mask], self.tiers[mask], self.scores[mask]


def candidates(
    snap: RankingSource, parsed: ParsedQuery, translated: dict[str, set[str]], request: Request
) -> tuple[Candidates, WordScores]:
    """Matching sections with their scores and tiers, and the scorer's findings."""
    text, all_query, stems = parsed.text, parsed.query, parsed.stems
    if stems is None:
        words = query_words(snap, all_query, translated, request.deadline)
    else:  # plain words: no need to walk the query's tree for them
        words = [(stem, *sorted(translated.get(stem, ()))) for stem in stems]
    read = snap.scorer.read_words(words, request.deadline.share_spent(SCORING_SHARE))
    key = title_key(re.sub(r"\b\w+:\S+", "", text))
    titled = snap.scorer.docs_with_any([("title_exact", key)])  # the post's own title is the query
    exact = distinct([titled, snap.scorer.docs_with_any([("heading_exact", key)])])
    extras = len(exact) > 0 and not re.search(r"\b\w+:", text)  # a title of stop words ("and", "with") matches no word
    found_sections, found = None, None
    if request.prune and stems is not None and not parsed.dates:
        found_sections, found = plain_candidates(snap, read, exact if extras else None, exact, request)
    if found_sections is None or found is None:
        found_sections, found = every_candidate(snap, parsed, read, exact if extras else None, request)
    reward(snap, found_sections, found, words, (titled, exact), request.recent_boost)
    return found_sections, found


def reward(
    snap: RankingSource, found_sections: Candidates, found: WordScores, words: list[tuple[str, ...]],
    exact: tuple[Any, Any], recent_boost: bool,
) -> None:
    """Raise the tiers of sections whose post title or heading is the query (exact: those docnums, and those of
    either), and the scores of sections by where the words are, how close they stand and how recent the post is."""
    titled, exact_either = exact
    docnums, tiers, scores = found_sections.docnums, found_sections.tiers, found_sections.scores
    _, matched, in_context, in_heading, in_title = found.at(docnums)
    headed = np.zeros(len(docnums), dtype=bool)
    if len(exact_either):  # a heading is all the words, and where they matter most; a title more
        in_titled = np.isin(docnums, titled)
        tiers[in_titled] = 2
        headed = np.isin(docnums, exact_either) & ~in_titled
        tiers[headed] = np.maximum(tiers[headed], 1)
    if words:  # where the words are before how often: the post's title holds them all, the heading read with it does
        share = in_title / len(words)
        power = TITLE_SHARE_POWER if len(words) <= TITLE_SHARE_MAX_WORDS else np.inf  # inf: all of them, or nothing
        scores *= (1 + TITLE_WEIGHT * share**power).astype(np.float32)  # every section of the post alike
        scores[(in_context == len(words)) & in_heading] *= 1 + HEADING_WEIGHT
    reward_proximity(snap, found_sections, words, matched, found)
    if recent_boost:
        scores *= recency_factor(snap.scorer.posts.dates[docnums])
    scores[headed] *= 1 + EXACT_HEADING_WEIGHT


def every_candidate(
    snap: RankingSource, parsed: ParsedQuery, read: list[WordPostings], extras: Any, request: Request
) -> tuple[Candidates, WordScores]:
    """Every matching section, scored (extras: exact-title and heading sections that match even without the
    words, or None). A typed query's sections (quotes, fields, operators) are found before any is scored, so
    with pruning only they are scored when they are few (a phrase of two common words: 1 ms of its 4 on
    cpp-docs went to scoring every section)."""
    all_query, stems = parsed.query, parsed.stems
    scorer = snap.scorer
    found = None
    if parsed.everything:  # date filters alone
        found = scorer.score_at(read, None)
        docnums = scorer.live_docs()
        tiers = np.ones(len(docnums), dtype=np.int8)
    elif stems is not None or is_plain_words(all_query):
        found = scorer.score_at(read, None)
        matched = found.matched
        docnums = np.flatnonzero(matched > 0)  # a section holding only "the" or "of" of "the borrow checker" is no match
        tiers = (matched[docnums] == found.required).astype(np.int8)
    else:
        relaxed, strict = relax(all_query), without_common_words(snap, all_query)
        docnums = matching = docs(snap, relaxed, request.deadline)
        if strict != relaxed:  # a phrase alone is both: its positions are read once
            matching = docs(snap, strict, request.deadline)
        if only_words_and_split_words(parsed.text, all_query):  # "x-ray" is a phrase, but not a requirement
            found = scorer.score_at(read, None)
            docnums = distinct([docnums, np.flatnonzero(found.totals > 0)])
        if scorer.has_deletions:
            docnums = docnums[scorer.live[docnums]]
        tiers = np.isin(docnums, matching).astype(np.int8)
    if extras is not None:
        extra = np.setdiff1d(extras, docnums, assume_unique=True)  # both ascending, each docnum once
        docnums, tiers = np.concatenate([docnums, extra]), np.concatenate([tiers, np.zeros(len(extra), np.int8)])
    if found is None:
        few = request.prune and len(docnums) * SPARSE_SHARE < scorer.total
        found = scorer.score_at(read, np.sort(docnums) if few else None)
    found_sections = Candidates(docnums, tiers, found.totals[found.places(docnums)])  # a copy: rewards change it
    filter_candidates(snap, found_sections, parsed, request)
    return found_sections, found


def plain_candidates(
    snap: RankingSource, read: list[WordPostings], extras: Any, exact: Any, request: Request
) -> tuple[Candidates | None, WordScores | None]:
    """For a query of plain words, its matching sections scored one by one rather than as arrays of every
    document: only those of the best tiers (every rare word, or an exact title or heading) when their posts fill
    the page, else all of them. No section of a lower tier can reach the page (a tier is worth more than any
    score), so the page is the one scoring every section gives (a test compares both on every benchmark query);
    the posts of the lower tiers are only counted. (None, None) for a query of no words."""
    scorer = snap.scorer
    holders = [scorer.union([t.holders for t in alternatives]) for alternatives in read]
    if not holders:
        return None, None
    rare = [held for held in holders if not scorer.is_common(len(held))] or holders
    best, matching = scorer.intersection_and_union(rare)  # common words only score (see score_all)
    best = scorer.union([best, scorer.intersection([exact, matching])])  # an exact heading or title among the matching ...
    if extras is not None:  # ... or, for most queries, wherever it is
        best, matching = scorer.union([best, extras]), scorer.union([matching, extras])
    if request.allowed is not None:
        best, matching = scorer.intersection([best, request.allowed]), scorer.intersection([matching, request.allowed])
    docnums, every_post = best, None
    best_posts = posts_of(scorer.posts, docnums)
    if len(best_posts) >= request.start + request.count:
        same = request.sort == "date" or len(matching) == len(docnums)  # the best tier is within the matching
        every_post = best_posts if same else posts_of(scorer.posts, matching)
    else:
        docnums = matching
    found = scorer.score_at(read, docnums if len(docnums) * SPARSE_SHARE < scorer.total else None)
    totals, matched = found.at(docnums)[:2]
    return Candidates(docnums, (matched == found.required).astype(np.int8), totals.copy(), every_post), found


def filter_candidates(snap: RankingSource, found: Candidates, parsed: ParsedQuery, request: Request) -> None:
    """Leave out the sections of posts a NOT part matches, those the filters do not allow, and those outside the
    query's date spans."""
    negated = negated_parts(parsed.query) if parsed.stems is None else []
    posts = snap.scorer.posts
    if negated:
        excluded = posts.numbers[docs(snap, wq.Or(negated), request.deadline)]
        found.keep(~np.isin(posts.numbers[found.docnums], excluded))
    if request.allowed is not None:
        found.keep(np.isin(found.docnums, request.allowed))
    if parsed.dates:
        found.keep(within(posts.dates[found.docnums], parsed.dates))


def within(dates: Any, spans: tuple[tuple[int, int], ...]) -> Any:
    """Which of the date orders lie in every span."""
    keep = np.ones(len(dates), dtype=bool)
    for start, end in spans:
        keep &= (dates >= start) & (dates < end)
    return keep


def posts_of(posts: PostArrays, docnums: Any) -> Any:
    """The post numbers of the sections, ascending, each once (marked, not sorted: tens of thousands of sections)."""
    marked = np.zeros(posts.count, dtype=bool)
    marked[posts.numbers[docnums]] = True
    return np.flatnonzero(marked)


def reward_proximity(
    snap: RankingSource, found_sections: Candidates, words: list[tuple[str, ...]], matched: Any, found: WordScores
) -> None:
    """Raise the best sections' scores (best by tier, then score) where the query's words (its rarer ones, when
    it has common ones) stand close together (matched: how many of them each section holds)."""
    docnums, scores = found_sections.docnums, found_sections.scores
    if not 2 <= len(words) <= PROXIMITY_MAX_WORDS or not len(docnums):
        return
    words = [word for word in words if word[0] not in found.common]  # "of" and "the" stand near anything
    if len(words) < 2:
        return
    value = found_sections.tiers * TIER_STEP + scores.astype(np.float64)
    top = best_sections(snap, docnums, value, PROXIMITY_DEPTH)
    top = top[matched[top] >= 2]  # one word alone is close to nothing: no positions to read
    closeness = snap.scorer.proximity(docnums[top], [w[0] for w in words], found)
    scores[top] *= 1 + PROXIMITY_WEIGHT * closeness


def best_sections(snap: RankingSource, docnums: Any, scores: Any, count: int) -> Any:
    """Positions of the `count` best scores. Ties at the cut go by post number (the order of post keys), then
    docnum (a post's sections are numbered in order), so the choice is the same however a build numbered its
    segments."""
    if len(scores) <= count:
        return np.arange(len(scores))
    threshold = -np.partition(-scores, count - 1)[count - 1]  # numpy selects the k-th largest ~15x slower
    above, tied = np.flatnonzero(scores > threshold), np.flatnonzero(scores == threshold)
    tied = tied[np.lexsort((docnums[tied], snap.scorer.posts.numbers[docnums[tied]]))]
    return np.concatenate([above, tied[: count - len(above)]])


def without_common_words(snap: RankingSource, q: wq.Query) -> wq.Query:
    """An AND of words without its common ones (in more than COMMON_SHARE of the sections), as score_all counts
    them; unchanged when every word is common or the query is not an AND."""
    if not isinstance(q, wq.And) or snap.scorer.doc_count < COMMON_FROM:
        return q
    limit = COMMON_SHARE * snap.scorer.doc_count

    def common(part: wq.Query) -> bool:  # a word (a term, or the same word in several fields) in many sections
        leaves = [part] if isinstance(part, wq.Term) else list(part.subqueries) if isinstance(part, wq.Or) else []
        if not leaves or not all(isinstance(leaf, wq.Term) for leaf in leaves):
            return False
        return max(snap.reader.doc_frequency(leaf.fieldname, leaf.text) for leaf in leaves) > limit

    kept = [part for part in q.subqueries if not common(part)]
    return wq.And(kept) if kept and len(kept) < len(q.subqueries) else q


def rank(snap: RankingSource, parsed: ParsedQuery, translated: dict[str, set[str]], request: Request) -> Ranking:
    """The number of matching posts, and posts start..start+count with their shown sections."""
    found_sections, found = candidates(snap, parsed, translated, request)
    sort, start, count = request.sort, request.start, request.count
    if sort == "date" and len(found_sections.tiers) and found_sections.tiers.max() > 0:
        found_sections.keep(found_sections.tiers > 0)  # newest of the posts that match, not of any one word's
    docnums, scores, tiers = found_sections.docnums, found_sections.scores, found_sections.tiers
    posts = snap.scorer.posts
    numbers = posts.numbers[docnums]
    value = tiers * TIER_STEP + scores.astype(np.float64)  # a section ranks by its tier, then its score
    best = np.full(posts.count, -np.inf)
    np.maximum.at(best, numbers, value)  # each post's best section
    matched = np.flatnonzero(best > -np.inf)
    newest_first = -posts.post_dates[matched].astype(np.float64)
    sort_keys = [newest_first, -best[matched]] if sort == "date" else [-best[matched], newest_first]
    order = leading_order(sort_keys, start + count + 1)

    def path_of(position: int) -> str:
        return snap.paths[int(posts.first_sections[matched[position]])]

    page = matched[settle_ties(order, sort_keys, path_of, start, count)]
    place = np.full(posts.count, len(page))  # each post's place on the page; those not on it after
    place[page] = np.arange(len(page))
    shown = shown_sections(place[numbers], len(page), value, tiers, docnums)
    ranked: list[list[tuple[float, int]]] = [[] for _ in page]
    for at, score, docnum in zip(place[numbers[shown]].tolist(), scores[shown].tolist(), docnums[shown].tolist()):
        ranked[at].append((score, docnum))
    complete = bool(len(tiers) and tiers.max() > 0)
    if found_sections.matching_posts is not None:  # the candidates were the best tier's: every match was counted
        matched = found_sections.matching_posts
    page_posts = [(sections[0][0], sections) for sections in ranked]
    return Ranking(len(matched), page_posts, found.terms_found, matched, complete, found.common)


def settle_ties(order: Any, sort_keys: list[Any], path_of: Callable[[int], str], start: int, count: int) -> list[int]:
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


def recency_factor(date_orders: Any) -> Any:
    """1 + RECENCY_WEIGHT halved every RECENCY_HALF_LIFE_DAYS of age; 1 for undated posts."""
    now = (datetime.now() - datetime(1970, 1, 1)).total_seconds()
    age_days = np.maximum(0.0, (now - date_orders.astype(np.float64)) / 86400)
    factor = 1 + RECENCY_WEIGHT * np.power(0.5, age_days / RECENCY_HALF_LIFE_DAYS)
    return np.where(date_orders == UNDATED, 1.0, factor).astype(np.float32)
