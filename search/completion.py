"""As-you-type completions: the posts and sections a half-typed query leads to, and the words it may be typing.

The words before the last are matched whole; the last is taken as the start of a word (`kube` -> Kubernetes),
standing for the indexed words it begins that occur in most sections. Sections are scored with BM25F, those whose
heading (read with the post title) holds every word first.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from typing import Any, Protocol

import numpy as np

from .results import Completion, Completions
from .scoring import BM25FScorer

PREFIX_WORDS = 16  # indexed words the last, unfinished word stands for: those in most sections
SECTIONS_READ = 24  # best sections whose titles, headings and words are offered
TYPED_WORD = re.compile(r"\w+")


class CompletionSource(Protocol):
    """What completion reads of one index generation (a Snapshot gives it)."""

    @property
    def generation(self) -> int: ...
    @property
    def scorer(self) -> BM25FScorer: ...  # score_all, post_fields
    def terms(self, text: str, lang: str | None = None) -> list[str]: ...
    def stem(self, word: str, lang: str | None = None) -> str: ...
    def expansions(self, pattern: str, out_of_time: Callable[[], bool] = ...) -> tuple[str, ...]: ...
    def stored(self, docnum: int) -> dict[str, Any]: ...


def complete(snap: CompletionSource, text: str, limit: int = 8) -> Completions:
    """Titles, headings and words for the query typed so far."""
    typed = TYPED_WORD.findall(text.lower())
    if not typed or limit < 1:
        return Completions(text, (), snap.generation)
    finished = text[-1:].isspace()  # "rust " has no unfinished word
    last = "" if finished else typed[-1]
    words: list[tuple[str, ...]] = [(stem,) for word in (typed if finished else typed[:-1]) for stem in snap.terms(word)]
    if last:
        words.append(tuple(dict.fromkeys([*snap.expansions(last + "*")[:PREFIX_WORDS], snap.stem(last)])))
    if not words:
        return Completions(text, (), snap.generation)
    best = best_sections(snap, words)
    items = title_and_heading_items(snap, best, last, limit) + word_items(snap, best, last, limit)
    return Completions(text, tuple(pick(items, limit)), snap.generation)


def best_sections(snap: CompletionSource, words: list[tuple[str, ...]]) -> list[int]:
    """The sections holding every word, best first: those whose heading and title hold them all, then by score."""
    found = snap.scorer.score_all(words)
    holding = np.flatnonzero(found.matched == len(words))
    if not len(holding):
        return []
    in_heading = (found.in_context[holding] == len(words)).astype(np.float64)
    order = np.lexsort((holding, -found.totals[holding], -in_heading))
    return holding[order[:SECTIONS_READ]].tolist()


def title_and_heading_items(snap: CompletionSource, sections: list[int], last: str, limit: int) -> list[Completion]:
    """A title for each post among the sections, and the headings that hold the unfinished word."""
    items: list[Completion] = []
    titles_seen: set[str] = set()
    for docnum in sections:
        post = snap.scorer.post_fields(docnum)
        if post["url"] not in titles_seen:
            titles_seen.add(post["url"])
            items.append(Completion("title", post["title"], post["url"]))
        fields = snap.stored(docnum)
        heading, anchor = fields.get("heading", ""), fields.get("anchor", "")
        if heading and anchor and (not last or starts_a_word(heading, last)):
            items.append(Completion("heading", heading, f"{post['url']}#{anchor}", post["title"]))
    return items


def word_items(snap: CompletionSource, sections: list[int], last: str, limit: int) -> list[Completion]:
    """Words beginning with the unfinished word, as the best sections write them, the most frequent first."""
    if not last:
        return []
    pattern = re.compile(rf"\b{re.escape(last)}\w*", re.IGNORECASE)
    counts: Counter[str] = Counter()
    for docnum in sections[:8]:
        fields = snap.stored(docnum)
        title = snap.scorer.post_fields(docnum)["title"]
        for text in (title, fields.get("heading", ""), fields.get("body", "")):
            counts.update(match.lower() for match in pattern.findall(text))
    counts.pop(last, None)
    return [Completion("word", word) for word, _ in counts.most_common(limit)]


def starts_a_word(text: str, start: str) -> bool:
    """Whether a word of the text begins with `start` (case ignored)."""
    return re.search(rf"\b{re.escape(start)}", text, re.IGNORECASE) is not None


def pick(items: list[Completion], limit: int) -> list[Completion]:
    """Up to `limit` completions: titles, headings and words in turn, so each kind is offered."""
    by_kind: dict[str, list[Completion]] = {"title": [], "heading": [], "word": []}
    for item in items:
        if item not in by_kind[item.kind]:
            by_kind[item.kind].append(item)
    picked: list[Completion] = []
    queues: list[Any] = [iter(by_kind[kind]) for kind in ("title", "heading", "word")]
    while queues and len(picked) < limit:
        for queue in list(queues):
            taken: Completion | None = next(queue, None)
            if taken is None:
                queues.remove(queue)
            elif len(picked) < limit:
                picked.append(taken)
    order = {"title": 0, "heading": 1, "word": 2}
    return sorted(picked, key=lambda item: order[item.kind])
