from pathlib import Path

import markdown
import pytest
from conftest import corpus, write

from search.files import find_posts
from search.posts import read_post
from search.sections import (
    SectionCollector,
    Sectioner,
    TreeReader,
    extra_extensions,
    strip_template_tags,
    tidy,
)
from search.sites.base import github_slug, kramdown_slug, python_markdown_id


def sections_of(tmp_path: Path, body: str, anchors: str = "github", title: str = "Post"):
    path = write(tmp_path, "p.md", f"---\ntitle: {title}\n---\n{body}")
    return Sectioner(anchors).split(read_post(path, tmp_path))


def test_intro_then_one_section_per_heading_with_paths(tmp_path):
    found = sections_of(tmp_path, "Intro text.\n\n## Install\n\nRun it.\n\n### On Linux\n\napt.\n\n## Use\n\nGo.\n")
    assert [(s.heading, s.level, s.anchor) for s in found] == [
        ("", 0, ""), ("Install", 2, "install"), ("On Linux", 3, "on-linux"), ("Use", 2, "use")
    ]
    assert found[2].path == ("Post", "Install", "On Linux")
    assert found[3].path == ("Post", "Use")
    assert found[0].text == "Intro text." and found[2].text == "apt."


def test_post_without_headings_is_one_section(tmp_path):
    found = sections_of(tmp_path, "Just a paragraph.\n\nAnd another.\n")
    assert len(found) == 1 and found[0].anchor == "" and "another" in found[0].text


def test_post_starting_with_heading_has_no_empty_intro(tmp_path):
    found = sections_of(tmp_path, "## First\n\ntext\n")
    assert [s.heading for s in found] == ["First"]


def test_h1_equal_to_title_is_not_repeated_in_path(tmp_path):
    found = sections_of(tmp_path, "# Post\n\nx\n\n## Part\n\ny\n")
    assert found[-1].path == ("Post", "Part")


def test_explicit_id_wins_and_duplicates_get_suffixes(tmp_path):
    body = "## Setup {#custom}\n\na\n\n## Example\n\nb\n\n## Example\n\nc\n\n## Example\n\nd\n"
    assert [s.anchor for s in sections_of(tmp_path, body)] == ["custom", "example", "example-1", "example-2"]
    assert [s.anchor for s in sections_of(tmp_path, body, "python-markdown")] == ["custom", "example", "example_1", "example_2"]


@pytest.mark.parametrize(
    "heading, github, kramdown, pymd",
    [
        ("What's new in 2.0?", "whats-new-in-20", "whats-new-in-20", "whats-new-in-20"),
        ("Café & crème", "café--crème", "caf--crme", "cafe-creme"),
        ("1. Getting started", "1-getting-started", "getting-started", "1-getting-started"),
        ("snake_case API", "snake_case-api", "snakecase-api", "snake_case-api"),
    ],
)
def test_anchor_styles(heading, github, kramdown, pymd):
    assert github_slug(heading) == github
    assert kramdown_slug(heading) == kramdown
    assert python_markdown_id(heading, "", set()) == pymd


def test_heading_with_inline_code_uses_its_text(tmp_path):
    found = sections_of(tmp_path, "## The `HashMap` type\n\ntext\n")
    assert found[0].heading == "The HashMap type" and found[0].anchor == "the-hashmap-type"


def test_plain_text_strips_tags_decodes_entities_keeps_link_and_alt_text(tmp_path):
    found = sections_of(tmp_path, 'See [the docs](http://x.y) &amp; ![a cat photo](c.png) <span class="k">kept</span>.\n')
    assert found[0].text == "See the docs & a cat photo kept."


def test_code_blocks_are_kept_apart_from_prose(tmp_path):
    found = sections_of(tmp_path, "Use a map:\n\n```rust\nlet m = HashMap::new();\n```\n\nDone.\n")
    assert "HashMap::new()" in found[0].code
    assert "HashMap" not in found[0].text and "Done." in found[0].text


def test_liquid_and_shortcodes_removed_but_paired_shortcode_text_kept(tmp_path):
    body = (
        "Before {% include note.html %} after {{ page.title }}.\n\n"
        "{{< note >}}Inner words{{< /note >}} and {{% aside %}}more{{% /aside %}}.\n\n"
        "```\n{{ keep.in.code }}\n```\n"
    )
    found = sections_of(tmp_path, body)
    assert found[0].text == "Before after .\nInner words and more."
    assert "{{ keep.in.code }}" in found[0].code


def test_liquid_highlight_becomes_code(tmp_path):
    found = sections_of(tmp_path, "{% highlight ruby %}\nputs 'hi'\n{% endhighlight %}\n")
    assert found[0].code == "puts 'hi'"


def test_script_text_is_kept_as_literal_text(tmp_path):
    found = sections_of(tmp_path, "Beware <script>alert(1)</script> here, and `<b>` too.\n")
    assert "<script>alert(1)</script>" in found[0].text and "<b>" in found[0].text


def test_strip_template_tags_leaves_tilde_fences_alone():
    source = "~~~\n{% raw %}\n~~~\n{% x %}text\n"
    assert strip_template_tags(source) == "~~~\n{% raw %}\n~~~\ntext\n"


def test_unknown_anchor_style_is_rejected():
    with pytest.raises(ValueError, match="unknown anchor style"):
        Sectioner("nope")


def test_fence_with_attributes_is_still_code(tmp_path):
    found = sections_of(tmp_path, '```go-html-template {file="layouts/x.html"}\n<h2>{{ .Title }}</h2>\n```\n\nAfter.\n')
    assert len(found) == 1 and "<h2>{{ .Title }}</h2>" in found[0].code and found[0].text == "After."


def test_table_of_contents_markers_are_not_text(tmp_path):
    """[TOC] (Python-Markdown) and "* TOC" + "{:toc}" (kramdown) mark where a renderer puts a contents list."""
    body = "[TOC]\n\n* TOC\n{:toc}\n\nIntro words.\n\n## First {#first}\n\nText about the TOC of a book.\n"
    intro, first = sections_of(tmp_path, body)
    assert intro.text == "Intro words."
    assert (first.anchor, first.text) == ("first", "Text about the TOC of a book.")


RICH_MARKDOWN = """Intro with *em*, **strong**, `code <b>`, a\\*escaped\\* star, [a link](http://x.y "t") and
[a reference][ref], ![an image](i.png), <http://auto.link>, <me@example.com>, a line break  
here, &copy; &#169; AT&T, 3 < 4 > 2, <span class="x">inline html</span> and a note[^1].

*[HTML]: Hyper Text Markup Language

HTML abbreviations, <!-- a comment --> and <script>var a = 1 < 2;</script> text.

<div class="box">
<h2 id="raw">A raw heading</h2>
<p>Raw &amp; block <em>html</em></p>
</div>

<div markdown="1">
Markdown *inside* HTML.
</div>

## Table & list {#custom}

| a | b |
|---|---|
| `x` | y_z |

Term
:   Definition *here*

```python
if a < b and c & d: pass
```

    indented <code> & more

[ref]: http://r.example
[^1]: The footnote's text.
"""


def drafts(collector: SectionCollector) -> list[tuple[str, int, str, str, str]]:
    collector.close()
    return [(d.heading, d.level, d.explicit_id, tidy(d.prose), tidy(d.code)) for d in collector.drafts]


def drafts_from_html(body: str) -> list[tuple[str, int, str, str, str]]:
    """What parsing Python-Markdown's own HTML gives: the reference the tree reader must match."""
    collector = SectionCollector()
    collector.feed(markdown.Markdown(extensions=extra_extensions()).convert(strip_template_tags(body)))
    return drafts(collector)


def drafts_from_tree(sectioner: Sectioner, body: str) -> list[tuple[str, int, str, str, str]]:
    collector = SectionCollector()
    root = sectioner.render(body)
    if root is not None:
        TreeReader(sectioner.renderer, collector).read(root)
    return drafts(collector)


def test_reading_the_tree_gives_what_parsing_markdowns_html_gives():
    """The tree reader, the quick inline pass and no prettifying change nothing: every inline pattern, raw
    HTML, entities, footnotes, abbreviations, Markdown in HTML, tables, definition lists and code."""
    found = drafts_from_tree(Sectioner(), RICH_MARKDOWN)
    assert found == drafts_from_html(RICH_MARKDOWN)
    assert [d[0] for d in found] == ["", "A raw heading", "Table & list"] and found[2][2] == "custom"
    assert "AT&T, 3 < 4 > 2" in found[0][3] and "inline html" in found[0][3] and "\u00a9 \u00a9" in found[0][3]


@pytest.mark.parametrize("name", ["seed-post", "jekyll-posts", "hugo-docs"])
def test_reading_the_tree_matches_markdowns_html_on_real_posts(name):
    root = corpus(name)
    sectioner = Sectioner()
    for path in find_posts(root)[::3]:
        body = read_post(path, root).body
        assert drafts_from_tree(sectioner, body) == drafts_from_html(body), path


def test_an_explicit_id_with_markup_is_not_used(tmp_path):
    """{#id} attributes become the anchor only when safe in a URL fragment and an HTML id."""
    sections = sections_of(tmp_path, '## Safe {#my-id.v2}\n\nx\n\n## Hostile {#"><script>alert(5)</script>}\n\ny\n')
    assert [(s.heading, s.anchor) for s in sections if s.heading] == [("Safe", "my-id.v2"), ("Hostile", "hostile")]


def test_alert_markers_and_unresolved_reference_links_leave_only_what_a_reader_sees(tmp_path):
    body = (
        "Intro with [where][] function and [the docs][missing] here, but code keeps `x[i][j]`.\n\n"
        "> [!NOTE]\n> Useful note text.\n\n"
        "```\nmatrix[i][j] = 0\n```\n"
    )
    [intro] = sections_of(tmp_path, body)
    assert "where function" in intro.text and "the docs here" in intro.text and "x[i][j]" in intro.text
    assert "[!NOTE]" not in intro.text and "Useful note text." in intro.text
    assert "matrix[i][j] = 0" in intro.code


def test_go_templates_in_hugo_code_shortcodes_stay_as_written(tmp_path):
    body = ("Default archetype:\n\n{{< code-toggle file=archetypes/default.md fm=true >}}\n"
            "title = '{{ replace .File.ContentBaseName `-` ` ` | title }}'\ndate = '{{ .Date }}'\n{{< /code-toggle >}}\n\n"
            "{{< highlight go >}}\n{{ range .Pages }}{{ .Title }}{{ end }}\n{{< /highlight >}}\n")
    found = sections_of(tmp_path, body)
    assert "date = '{{ .Date }}'" in found[0].code
    assert "{{ range .Pages }}{{ .Title }}{{ end }}" in found[0].code
    assert found[0].text == "Default archetype:"


def test_markdown_inside_html_containers_is_rendered(tmp_path):
    body = ("<details>\n<summary>2 updates</summary>\n\n- **[Benno]** wrote [a comment](https://x.org)\n\n"
            "  > We have a *plan*.\n\n</details>\n\nAfter.\n")
    text = sections_of(tmp_path, body)[0].text
    assert "[Benno] wrote a comment" in text and "We have a plan." in text  # [Benno] is literal: no reference defines it
    assert not any(mark in text for mark in ("**", "](", "> ", "*plan*"))


def test_a_fence_inside_a_quote_inside_a_list_is_code(tmp_path):
    """Nested fences are code, as the site generators read them: their lines are neither headings nor prose."""
    body = (
        "Intro.\n\n- A goal\n\n    > An example:\n    >\n    > ```rust\n    > #[term($name $<parameters> { $,values })]\n"
        "    > fn main() {}\n    > ```\n\n## Const generics\n\nText after.\n"
    )
    found = sections_of(tmp_path, body)
    assert [s.heading for s in found] == ["", "Const generics"]
    assert "#[term($name $<parameters> { $,values })]" in found[0].code and "```" not in found[0].text


@pytest.mark.parametrize(
    "prose, expected",
    [
        ("plain words", "plain words"),
        ("two  spaces and\ta tab", "two spaces and a tab"),
        ("a\r\nwindows line\fand\vmore", "a\nwindows line and more"),
        ("  indented\n\n\n  blank lines  ", "indented\nblank lines"),
        ("wide\u00a0space stays", "wide\u00a0space stays"),
    ],
)
def test_tidy_collapses_runs_of_spaces_and_blank_lines(prose, expected):
    assert tidy([prose]) == expected


def test_long_runs_of_spaces_and_tabs_in_prose_shorten_to_two(tmp_path):
    """Runs of 16 or more spaces or tabs after a word are cut before rendering, tabs alone as well as spaces."""
    [intro] = sections_of(tmp_path, "one" + " " * 40 + "two " + "\t" * 20 + "three" + " \t" * 10 + "four\n")
    assert intro.text == "one two three four"
