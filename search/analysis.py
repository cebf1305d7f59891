"""Text analysis: words split out (CJK text as character bigrams), lower-cased (every word kept), stemmed, and
their accents folded (café -> cafe) after stemming, so a stemmer sees the word as written."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator
from functools import cache, lru_cache

import Stemmer
from whoosh.analysis import Filter, LowercaseFilter, Token, Tokenizer

from .languages import LANG_MARKER, base_language

WORD = re.compile(r"\w+")
IDENTIFIER_PART = re.compile(r"[^\W_]+")  # the parts of snake_case and __dunder__ identifiers

# Han, Hiragana, Katakana and Hangul: scripts written without spaces between words.
CJK_RUN = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af\u1100-\u11ff]+")


def split_words(text: str, start: int = 0) -> Iterator[tuple[int, int]]:
    """(start, end) of each word, an identifier's parts apart (about_Preference_Variables: about, Preference,
    Variables); runs of CJK characters give overlapping two-character pieces."""
    for match in WORD.finditer(text, start):
        if "_" in match[0] and IDENTIFIER_PART.search(match[0]):
            for part in IDENTIFIER_PART.finditer(text, *match.span()):
                yield from word_pieces(text, *part.span())
        else:
            yield from word_pieces(text, *match.span())


def word_pieces(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    """The word at text[start:end], or its pieces where it holds CJK characters."""
    if not CJK_RUN.search(text, start, end):
        yield start, end
        return
    position = start
    for run in CJK_RUN.finditer(text, start, end):
        if run.start() > position:
            yield position, run.start()
        yield from bigrams(run.start(), run.end())
        position = run.end()
    if position < end:
        yield position, end


def bigrams(start: int, end: int) -> Iterator[tuple[int, int]]:
    """Overlapping two-character spans of a CJK run (one span for a single character)."""
    if end - start == 1:
        yield start, end
        return
    for offset in range(start, end - 1):
        yield offset, offset + 2


class WordTokenizer(Tokenizer):
    """Whoosh tokenizer over split_words, with positions and character offsets."""

    def __call__(
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        **kwargs: object,
    ) -> Iterator[Token]:
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        if not tokenize:
            token.original = token.text = value
            token.boost, token.stopped = 1.0, False
            if positions:
                token.pos = start_pos
            if chars:
                token.startchar, token.endchar = start_char, start_char + len(value)
            yield token
            return
        token.lang = ""
        marker = LANG_MARKER.match(value)
        if marker:  # a post in another language than the site's: its words are stemmed for that language
            token.lang = marker[1]
        for position, (start, end) in enumerate(split_words(value, marker.end() if marker else 0), start=start_pos):
            token.text = value[start:end]
            token.boost, token.stopped = 1.0, False
            if keeporiginal:
                token.original = token.text
            if positions:
                token.pos = position
            if chars:
                token.startchar, token.endchar = start_char + start, start_char + end
            yield token


class LanguageFilter(Filter):
    """Stop words and stemming for each token's language: the post's (from its marker) or the site's."""

    def __init__(self, lang: str = "en") -> None:
        self.lang = base_language(lang)

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.lang == self.lang

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        rules: dict[str, tuple[frozenset[str], Callable[[str], str]]] = {}
        removed = 0  # stop words dropped so far: later positions close up, as phrase queries expect
        for token in tokens:
            lang = getattr(token, "lang", "") or self.lang
            if lang not in rules:
                rules[lang] = language_rules(lang)
            stops, stem = rules[lang]
            if token.positions:
                token.pos -= removed
            if token.text in stops:
                if token.removestops:
                    removed += 1
                    continue
                token.stopped = True
                yield token
                continue
            token.text = stem(token.text)
            yield token


@cache
def language_rules(lang: str) -> tuple[frozenset[str], Callable[[str], str]]:
    """A language's stop words (none: every word is indexed, and BM25's IDF weighs common words down, as Lucene's
    standard analyzer has done since 2015; "to be or not to be" and "the who" are searchable) and its stemmer,
    accents folded after stemming (no stemming where Snowball has none)."""
    return frozenset(), folding(snowball_stemmer(lang) or str)


def folding(stem: Callable[[str], str]) -> Callable[[str], str]:
    """The stemmer with the accents of its stems folded (ASCII stems, nearly all, pass as they are)."""

    def stem_and_fold(word: str) -> str:
        stemmed = stem(word)
        return stemmed if stemmed.isascii() else fold_accents(stemmed)

    return stem_and_fold


@lru_cache(maxsize=50000)
def fold_accents(word: str) -> str:
    """A word without its accents (café -> cafe, tomás -> tomas, ångström -> angstrom). CJK text is left as it
    is: decomposing would drop the marks that make one kana another."""
    if CJK_RUN.search(word):
        return word
    return "".join(char for char in unicodedata.normalize("NFKD", word) if not unicodedata.combining(char))


class FoldFilter(Filter):
    """Folds the accents of each token (for names, which are not stemmed)."""

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self)

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        for token in tokens:
            if not token.text.isascii():
                token.text = fold_accents(token.text)
            yield token


def snowball_stemmer(lang: str) -> Callable[[str], str] | None:
    """The Snowball project's own stemmer for a language (PyStemmer, in C), or None.

    Whoosh's pure-Python port took ~8 µs a word against 0.3 µs, and its English one has errors of its own:
    "added" -> "ad", "internal" -> "intern", "organization" -> "organ", "paste" -> "past"."""
    try:
        stemmer = Stemmer.Stemmer(lang, 0)  # no cache of its own: the lru_cache is faster
    except KeyError:
        return None
    return lru_cache(maxsize=50000)(stemmer.stemWord)


def index_terms(text: str, lang: str) -> list[str]:
    """The terms text_analyzer(lang) makes of the text, in order, without Whoosh's token objects: a query's terms."""
    stem, words = text_words(text, lang)
    return [stem(word) for word in split_identifiers(words)]


def indexed_terms(text: str, lang: str) -> list[tuple[int, str]]:
    """What the index holds of a text: each term with its position, as index_terms makes them, and each
    identifier whole too (lower case, not stemmed), at its first part's position, so that a prefix
    (about_pref*) finds it while its parts are searched as words."""
    stem, words = text_words(text, lang)
    if not any("_" in word for word in words):
        return list(enumerate(map(stem, words)))
    found: list[tuple[int, str]] = []
    position = 0
    for word in words:
        parts = identifier_parts(word)
        if parts:
            found.append((position, word if word.isascii() else fold_accents(word)))
        for part in parts or (word,):
            found.append((position, stem(part)))
            position += 1
    return found


def text_words(text: str, lang: str) -> tuple[Callable[[str], str], list[str]]:
    """The stemmer of the text's language (its marker's, else lang) and its words in lower case, CJK runs in
    bigrams, identifiers whole."""
    start = 0
    marker = LANG_MARKER.match(text)
    if marker:
        lang, start = marker[1], marker.end()
    _, stem = language_rules(base_language(lang))
    if CJK_RUN.search(text, start):
        return stem, [text[begin:end].lower() for begin, end in whole_identifiers(text, start)]
    if text.isascii():  # the common case, at C speed
        return stem, WORD.findall(text.lower(), start)
    return stem, [word.lower() for word in WORD.findall(text, start)]


def whole_identifiers(text: str, start: int) -> Iterator[tuple[int, int]]:
    """split_words, identifiers left whole (split_identifiers splits them)."""
    for match in WORD.finditer(text, start):
        if "_" in match[0]:
            yield match.span()
        else:
            yield from word_pieces(text, *match.span())


def split_identifiers(words: list[str]) -> list[str]:
    """The words with each identifier replaced by its parts."""
    if not any("_" in word for word in words):
        return words
    return [part for word in words for part in identifier_parts(word) or [word]]


def identifier_parts(word: str) -> list[str]:
    """The parts of a snake_case or __dunder__ identifier (none for a word without "_", or of "_" alone)."""
    return IDENTIFIER_PART.findall(word) if "_" in word else []


def text_analyzer(lang: str = "en"):
    """The analyzer for prose: words (CJK as bigrams), lower-cased, stop words dropped and stemmed by language."""
    return WordTokenizer() | LowercaseFilter() | LanguageFilter(lang)


def name_analyzer():
    """Names and labels: words lower-cased and their accents folded, not stemmed."""
    return WordTokenizer() | LowercaseFilter() | FoldFilter()


def title_key(text: str) -> str:
    """A title reduced to lower-case words without accents, for exact-title matching."""
    key = " ".join(WORD.findall(text.lower()))
    return key if key.isascii() else fold_accents(key)
