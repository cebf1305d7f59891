"""Text analysis: words split out (CJK text as character bigrams), lower-cased, stop words dropped, stemmed."""

from __future__ import annotations

import re
from typing import Iterator

from whoosh.analysis import STOP_WORDS, LowercaseFilter, StemFilter, StopFilter, Token, Tokenizer
from whoosh.lang import has_stemmer, has_stopwords

WORD = re.compile(r"\w+")
# Han, Hiragana, Katakana and Hangul: scripts written without spaces between words.
CJK_RUN = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af\u1100-\u11ff]+")


def split_words(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each word; runs of CJK characters give overlapping two-character pieces."""
    for match in WORD.finditer(text):
        start, end = match.span()
        if not CJK_RUN.search(text, start, end):
            yield start, end
            continue
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
        for position, (start, end) in enumerate(split_words(value), start=start_pos):
            token.text = value[start:end]
            token.boost, token.stopped = 1.0, False
            if keeporiginal:
                token.original = token.text
            if positions:
                token.pos = position
            if chars:
                token.startchar, token.endchar = start_char + start, start_char + end
            yield token


def text_analyzer(lang: str = "en"):
    """The analyzer for prose in the given language: stemming and stop words where Whoosh has them."""
    base = lang.split("-")[0].split("_")[0].lower() or "en"
    chain = WordTokenizer() | LowercaseFilter()
    if base == "en":  # a short list, as Lucene's: Whoosh's 127-word English list cost SciFact 0.004 nDCG@10
        chain = chain | StopFilter(stoplist=STOP_WORDS, minsize=1)
    elif has_stopwords(base):
        from whoosh.lang import stopwords_for_language

        chain = chain | StopFilter(stoplist=stopwords_for_language(base), minsize=1)
    if has_stemmer(base):
        chain = chain | StemFilter(lang=base, cachesize=50000)
    return chain


def name_analyzer():
    """Names and labels: words lower-cased, not stemmed."""
    return WordTokenizer() | LowercaseFilter()


def title_key(text: str) -> str:
    """A title reduced to lower-case words, for exact-title matching."""
    return " ".join(WORD.findall(text.lower()))
