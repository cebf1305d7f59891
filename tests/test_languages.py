"""Language paths: stemming chosen by --lang, CJK text searchable by character bigrams."""

from search.analysis import split_words, text_analyzer


def words(text, lang="en"):
    return [token.text for token in text_analyzer(lang)(text)]


def test_german_stemming_with_lang_de(make_index):
    assert words("Häuser Hauses", "de") == ["haus", "haus"]
    searcher = make_index({"de.md": "---\ntitle: Bau\n---\nDie Häuser stehen am Fluss.\n"}, lang="de")
    assert [hit.path for hit in searcher.search("Hauses").hits] == ["de.md"]


def test_english_stems_keep_apart_words_that_only_begin_alike():
    """Snowball's own English stemmer: Whoosh's port made "added" of "ad", "internal" of "intern"."""
    assert words("added ad internal intern paste past organization organ") == [
        "add", "ad", "internal", "intern", "paste", "past", "organiz", "organ"
    ]


def test_polish_is_stemmed_too(make_index):
    """Languages Whoosh had no stemmer for, such as Polish, are stemmed by Snowball."""
    assert words("książki książka", "pl") == ["ksiazk", "ksiazk"]  # stemmed, then accents folded
    searcher = make_index({"pl.md": "---\ntitle: Czytanie\nlang: pl\n---\nNowa książka o kotach.\n"}, lang="pl")
    assert [hit.path for hit in searcher.search("książki").hits] == ["pl.md"]


def test_language_without_stemmer_is_not_stemmed():
    assert words("running quickly", "ja") == ["running", "quickly"]


def test_cjk_runs_become_bigrams_with_offsets():
    text = "「東京都庁」へ"
    assert [text[a:b] for a, b in split_words(text)] == ["東京", "京都", "都庁", "へ"]


def test_japanese_word_inside_a_sentence_is_found_and_marked(make_index):
    searcher = make_index({"ja.md": "---\ntitle: 旅行\n---\n私は東京都庁へ行きました。\n"})
    hit = searcher.search("都庁").hits[0]
    assert hit.path == "ja.md"
    assert "<mark>都庁</mark>" in hit.sections[0].snippet


def test_chinese_two_character_word(make_index):
    searcher = make_index(
        {
            "zh.md": "---\ntitle: 笔记\n---\n我们今天学习中文搜索引擎。\n",
            "other.md": "---\ntitle: Other\n---\n中午吃饭。\n",
        }
    )
    assert [hit.path for hit in searcher.search("中文").hits] == ["zh.md"]
    assert [hit.path for hit in searcher.search("搜索引擎").hits] == ["zh.md"]


def test_hyphenated_words_are_not_exclusions(make_index):
    searcher = make_index({"x.md": "---\ntitle: Imaging\n---\nAn x-ray of 0-dimensional materials.\n"})
    assert [hit.path for hit in searcher.search("x-ray materials").hits] == ["x.md"]
    assert [hit.path for hit in searcher.search("0-dimensional").hits] == ["x.md"]


def test_each_post_is_analysed_in_its_own_language(make_index):
    searcher = make_index(
        {
            "de.md": "---\ntitle: Bauen\nlang: de\n---\nDie Häuser stehen am Fluss.\n",
            "en.md": "---\ntitle: Building\n---\nThe houses are running late.\n",
        }
    )
    german = searcher.search("Hauses").hits
    assert [hit.path for hit in german] == ["de.md"]
    assert "<mark>Häuser</mark>" in german[0].sections[0].snippet
    assert german[0].title == "Bauen"
    assert [hit.path for hit in searcher.search("run").hits] == ["en.md"]


def test_a_word_another_language_leaves_as_it_is_finds_posts_in_that_language(make_index):
    """German stems "edited" to itself, English to "edit": the query finds the English and the German post."""
    searcher = make_index(
        {
            "de.md": "---\ntitle: Notiz\nlang: de\n---\nDieser Text wurde edited.\n",
            "en.md": "---\ntitle: Note\n---\nThis text was edited.\n",
        }
    )
    assert sorted(hit.path for hit in searcher.search("edited").hits) == ["de.md", "en.md"]


def test_prose_field_postings_equal_whoosh_analyzer_postings():
    """The fast path of ProseField.index gives exactly what Whoosh's own TEXT field makes with the analyzer."""
    from whoosh.fields import TEXT

    from search.index_format.fields import ProseField
    from search.languages import language_marker

    texts = [
        "The Häuser are running, and the runner ran: HashMap::new() in 1.20.0!",
        language_marker("de", "en") + "Die Häuser und des Hauses stehen am Fluss.",
        "私は東京都庁へ行きました。 Then a word.",
        "",
    ]
    for lang in ("en", "de"):
        fast = ProseField(lang, field_boost=2.0)
        slow = TEXT(analyzer=text_analyzer(lang), field_boost=2.0)
        slow.format = fast.format
        for text in texts:
            assert sorted(fast.index(text)) == sorted(TEXT.index(slow, text)), (lang, text)
