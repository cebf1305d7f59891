"""Highlighted fragments of a section's text, rendered as escaped HTML, ANSI colour or plain text."""

from __future__ import annotations

import html
import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import NamedTuple

from .analysis import CJK_RUN, split_words
from .textfragments import text_directive

ELLIPSIS = "…"
MAX_MATCHES = 400
WINDOW_MATCHES = 40  # matches counted per window
WORD_REST = re.compile(r"[^\W_]*")  # the rest of a word, or of an identifier's part


@dataclass(frozen=True)
class Fragment:
    """A piece of text around matches: (text, is_match) pieces, and whether text was cut off around it."""

    pieces: tuple[tuple[str, bool], ...]
    cut_before: bool
    cut_after: bool


class Match(NamedTuple):
    """Where a query term occurs in a text (a tuple: snippets make hundreds per query)."""

    start: int
    end: int
    term: str


class Highlighter:
    """Finds query terms in stored text by stemming its words; remembers stems it has seen."""

    def __init__(
        self, stems: Sequence[Callable[[str], str]], size: int = 160, max_fragments: int = 3, prefilter: bool = True
    ) -> None:
        self.stemmers = tuple(stems)
        self.prefilter = prefilter  # stems begin like their words (English); not so for German's ä -> a
        self.size = size
        self.max_fragments = max_fragments
        self.stems: dict[str, tuple[str, ...]] = {}
        # The last query's word beginnings (see word_beginnings), and whether they are all ASCII
        self.beginnings: dict[tuple[frozenset[str], tuple[str, ...]], tuple[frozenset[str] | None, bool]] = {}

    def term_of(self, word: str, terms: frozenset[str], prefixes: tuple[str, ...]) -> str:
        """The query term this word matches, or ''."""
        lower = word.lower()
        if lower in terms:
            return lower
        stemmed = self.stems.get(lower)
        if stemmed is None:
            stemmed = self.stems[lower] = tuple(stem(lower) for stem in self.stemmers)
        for stem in stemmed:
            if stem in terms:
                return stem
        return next((p for p in prefixes if lower.startswith(p)), "") if prefixes else ""

    def matches(self, text: str, terms: frozenset[str], prefixes: tuple[str, ...]) -> list[Match]:
        """Where the query's terms occur in text."""
        found: list[Match] = []
        for start, end in self.candidate_words(text, terms, prefixes):
            term = self.term_of(text[start:end], terms, prefixes)
            if not term:
                continue
            if found and start < found[-1].end:  # overlapping CJK bigrams make one mark
                found[-1] = Match(found[-1].start, end, found[-1].term)
            else:
                found.append(Match(start, end, term))
                if len(found) == MAX_MATCHES:
                    break
        return found

    def candidate_words(self, text: str, terms: frozenset[str], prefixes: tuple[str, ...]) -> Iterable[tuple[int, int]]:
        """Spans of the words that may match: those beginning like a query term's stem, found with str.find at
        C speed (CJK text, split into bigrams, is walked word by word)."""
        if (terms, prefixes) not in self.beginnings:  # the same for every section a query shows
            starts = word_beginnings(terms, prefixes) if self.prefilter else None
            self.beginnings = {(terms, prefixes): (starts, starts is not None and all(s.isascii() for s in starts))}
        starts, ascii_starts = self.beginnings[(terms, prefixes)]
        if starts is None:
            return split_words(text)
        lowered = ascii_lowered(text) if ascii_starts else text.lower()
        if len(lowered) != len(text):  # a few letters change length in lower case: use a regular expression
            pattern = re.compile(rf"(?<![^\W_])(?:{'|'.join(map(re.escape, sorted(starts, key=len, reverse=True)))})[^\W_]*", re.I)
            return [match.span() for match in pattern.finditer(text)]
        spans = []
        for start in starts:
            at = lowered.find(start)
            while at != -1:
                if at == 0 or not text[at - 1].isalnum():  # a word, or a part of an identifier
                    rest = WORD_REST.match(text, at + len(start))  # always matches
                    spans.append((at, rest.end() if rest else at + len(start)))
                at = lowered.find(start, at + 1)
        return sorted(set(spans)) if len(starts) > 1 else spans

    def fragments(self, text: str, terms: frozenset[str], prefixes: tuple[str, ...] = ()) -> tuple[Fragment, ...]:
        """Up to max_fragments windows of about `size` characters with the most distinct matches."""
        found = self.matches(text, terms, prefixes)
        if not found:
            return ()
        windows = self.best_windows(text, found)
        return tuple(self.cut(text, start, end, found) for start, end in sorted(windows))

    def best_windows(self, text: str, found: list[Match]) -> list[tuple[int, int]]:
        """Non-overlapping windows, best first: most distinct terms, then most matches (up to 40 counted)."""
        size, lead = self.size, self.size // 4
        start = max(0, found[0].start - lead)
        if len(found) <= WINDOW_MATCHES and found[-1].end <= start + size:
            return [(start, start + size)]  # the first window holds every match: no other can beat it
        ends, terms = [match.end for match in found], [match.term for match in found]
        candidates = []
        for i, first in enumerate(found):
            start = max(0, first.start - lead)
            j = bisect_right(ends, start + size, i, min(len(found), i + WINDOW_MATCHES))  # found[i:j] fit in
            candidates.append((-len(set(terms[i:j])), i - j, start, start + size))
        candidates.sort()
        chosen: list[tuple[int, int]] = []
        for _, _, start, end in candidates:
            for taken_start, taken_end in chosen:
                if start < taken_end and taken_start < end:
                    break  # overlaps a better window
            else:
                chosen.append((start, end))
                if len(chosen) == self.max_fragments:
                    break
        return chosen

    def cut(self, text: str, start: int, end: int, found: list[Match]) -> Fragment:
        """The fragment text[start:end], widened to whole words, with its matches marked."""
        start, end = word_bounds(text, start, min(end, len(text)))
        pieces: list[tuple[str, bool]] = []
        position = start
        for match_start, match_end, _ in islice(found, bisect_left(found, (start,)), None):  # sorted, apart
            if match_end > end:
                break
            if match_start > position:
                pieces.append((text[position:match_start], False))
            pieces.append((text[match_start:match_end], True))
            position = match_end
        if position < end:
            pieces.append((text[position:end], False))
        return Fragment(tuple(pieces), start > 0, end < len(text))

    def lead(self, text: str) -> tuple[Fragment, ...]:
        """The start of a text, unmarked, for sections that matched outside their text."""
        if not text:
            return ()
        start, end = word_bounds(text, 0, min(self.size, len(text)))
        return (Fragment(((text[start:end], False),), False, end < len(text)),)


def word_beginnings(terms: frozenset[str], prefixes: tuple[str, ...]) -> frozenset[str] | None:
    """How the words that may match the terms begin (a stem less its last letter, "happi" -> "happ" for
    "happy"), or None when words must be walked one by one (CJK terms, or none at all)."""
    if any(CJK_RUN.search(t) for t in terms) or not (terms or prefixes):
        return None
    return frozenset({t[:-1] if len(t) > 3 else t for t in terms} | set(prefixes))


def ascii_lowered(text: str) -> str:
    """The text with its ASCII letters in lower case and any other character as "?", at the same offsets: where
    words beginning like ASCII stems are. str.lower() takes ~10x longer once a text holds one non-ASCII
    character (a curly quote, a dash), as 18% of the sections rust-blog's queries show do."""
    if text.isascii():
        return text.lower()
    return text.encode("ascii", "replace").lower().decode("ascii")


def word_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """Move start forward and end backward to whitespace so no word is cut in half."""
    if start > 0 and not text[start - 1].isspace():
        space = text.find(" ", start, start + 30)
        start = space + 1 if space != -1 else start
    if end < len(text) and not text[end].isspace():
        space = text.rfind(" ", max(start, end - 30), end)
        end = space if space != -1 else end
    return start, end


def render(fragments: Iterable[Fragment], mark: Callable[[str], str], plain: Callable[[str], str]) -> str:
    """Join fragments with ellipses, formatting matched and unmatched pieces."""
    parts = []
    for fragment in fragments:
        body = "".join([mark(text) if matched else plain(text) for text, matched in fragment.pieces]).strip()
        parts.append((ELLIPSIS if fragment.cut_before else "") + body + (ELLIPSIS if fragment.cut_after else ""))
    return " ".join(parts)


def to_html(fragments: Iterable[Fragment]) -> str:
    """HTML: the source text escaped first, then <mark> around matches."""
    return render(fragments, lambda t: f"<mark>{escape(t)}</mark>", escape)


def escape(text: str) -> str:
    """html.escape(text), without its five replacements for the many texts that need none."""
    if "&" in text or "<" in text or ">" in text or '"' in text or "'" in text:
        return html.escape(text)
    return text


# tab and newline are left; bidirectional overrides and isolates (U+202E ...) would reorder what a terminal shows
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """Text with control characters (escape sequences, bells, ...) removed, safe to print on a terminal."""
    return CONTROL_CHARACTERS.sub("", text) if CONTROL_CHARACTERS.search(text) else text


def to_ansi(fragments: Iterable[Fragment]) -> str:
    """Terminal text with matches in bold yellow (control characters of the text removed)."""
    return render(fragments, lambda t: f"\x1b[1;33m{printable(t)}\x1b[0m", printable)


def to_plain(fragments: Iterable[Fragment]) -> str:
    """Plain text without marks (control characters removed)."""
    return render(fragments, printable, printable)


def best_fragment(fragments: tuple[Fragment, ...]) -> tuple[Fragment, ...]:
    """The fragment with the most distinct matched words (the first of equals), alone; none for none."""
    if len(fragments) < 2:
        return fragments
    return (max(fragments, key=lambda f: len({text.lower() for text, matched in f.pieces if matched})),)


LANDING_WORD = re.compile(r"[^\W_][\w.]*[.,:;!?]?")  # a plain word: quotes and dashes vary between renderers


def landing_words(fragment: Fragment, around: int = 3) -> str:
    """The words of a fragment around its first match, up to `around` plain words on each side, for a text
    fragment (#:~:text=) that takes a reader to the sentence that matched; '' when nothing in it matched."""
    text = "".join(piece for piece, _ in fragment.pieces)
    start = 0
    for piece, matched in fragment.pieces:
        if matched:
            break
        start += len(piece)
    else:
        return ""
    before = plain_run(reversed(text[:start].split()), around)[::-1]
    after = plain_run(iter(text[start:].split()), around + 1)
    return " ".join(before + after).rstrip(".,:;!?") if after else ""


def plain_run(words: Iterable[str], most: int) -> list[str]:
    """The first words, up to `most`, until one is not plain (see LANDING_WORD)."""
    run: list[str] = []
    for word in words:
        if len(run) == most or not LANDING_WORD.fullmatch(word):
            break
        run.append(word)
    return run


def landing_url(url: str, words: str) -> str:
    """A section's URL with a text fragment for the words (#id:~:text=...): browsers that know text fragments
    scroll to the words and mark them, others go to the id. A heading's own text fragment (a site without ids)
    gives way to the words."""
    if not words:
        return url
    page, _, anchor = url.partition("#")
    element = "" if anchor.startswith(":~:") else anchor
    return f"{page}#{element}{text_directive(words)}"

