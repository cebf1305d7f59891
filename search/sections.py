"""Split a Post into Sections at its headings: heading path, anchor id and plain text."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from importlib import import_module
from typing import Any
from xml.etree.ElementTree import HTML_EMPTY, Element

import markdown
from markdown.extensions import Extension, extra
from markdown.serializers import _escape_attrib_html, _escape_cdata
from markdown.treeprocessors import InlineProcessor
from markdown.util import AtomicString
from pymdownx import highlight, superfences

from .posts import Post
from .sites.base import ANCHOR_STYLES, HeadingId

# Every pattern here runs on post text anyone may write, so each is linear in it: no repetition that can cross a
# line where the next line may start the same match again, and no lazy run searched for from many starts (Liquid
# tags and shortcodes are cut with str.find instead: LIQUID_TAG over 80 KB of "{{" took 5 s). Checked by
# tests/test_hostile.py on long runs of every character these patterns name.
FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
SHORTCODE = (("{{<", "{{%"), (">}}", "%}}"))  # Hugo's {{< x >}} and {{% x %}}: (openers, closers)
LIQUID_TAGS = ((("{%",), ("%}",)), (("{{",), ("}}",)))
RAW_OPEN = re.compile(r"\{%-?[ \t]*raw[ \t]*-?%\}")  # Liquid's {% raw %}: what follows is text, not tags
RAW_CLOSE = re.compile(r"\{%-?[ \t]*endraw[ \t]*-?%\}")
LIQUID_HIGHLIGHT_OPEN = re.compile(r"\{%-?[ \t]*highlight[ \t]+([\w+#.-]+)[^%\n]{0,200}%\}")
LIQUID_HIGHLIGHT_CLOSE = re.compile(r"\{%-?[ \t]*endhighlight[ \t]*-?%\}")
# Python-Markdown's [TOC], kramdown's "* TOC" + "{:toc}": where a renderer puts a table of contents.
TOC_MARKER = re.compile(r"^[ \t]*(?:\[TOC\]|(?:[*-][ \t]+TOC[ \t]*\n[ \t]*)?\{:toc\})[ \t]*$", re.MULTILINE)
# A container element alone on its line (<details>, <div class="note">): CommonMark renders the Markdown inside it
# (after a blank line), Python-Markdown only when the tag says markdown="1"; without it, "> > ### Plan" and
# "**[name]**" reached snippets as they were written.
HTML_CONTAINER = re.compile(r"^[ \t]*<(?:details|div|section|aside|article|figure|center)\b(?![^>\n]*\bmarkdown=)[^>\n]*+(?=>[ \t]*$)", re.MULTILINE | re.IGNORECASE)
CODE_SHORTCODE = re.compile(r"^[ \t]*\{\{[<%][ \t]*(/?)(?:code-toggle|code|highlight)\b([^}\n]{0,500}?)[>%]\}\}[ \t]*$", re.MULTILINE)
SAFE_ID = re.compile(r"[\w.:-]+")  # an explicit id outside this is not used as it is (it could carry markup)
ALERT_MARKER = re.compile(r"^([ \t]*+(?:>[ \t]*+)++)\[!(?:NOTE|TIP|IMPORTANT|WARNING|CAUTION)\][ \t]*", re.MULTILINE | re.IGNORECASE)
# A reference link whose reference is defined nowhere stays as its Markdown ("[where][] function"): its text is
# what a reader of the page sees
UNRESOLVED_REFERENCE = re.compile(r"(?<![\w\])])\[([^\[\]\n]+)\]\[[^\[\]\n]*\]")  # not x[i][j]
ATX_HEADING = re.compile(r"^ {0,3}#{1,6}(?=[ \t]|$)(.*)$")  # the text: atx_text()
SETEXT_UNDERLINE = re.compile(r"^ {0,3}(?:=+|-+)[ \t]*$")
HEADING_TAGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
BLOCK_TAGS = HEADING_TAGS | {
    "p", "div", "li", "ul", "ol", "br", "tr", "td", "th", "table", "blockquote", "pre",
    "dt", "dd", "hr", "section", "article", "figure", "figcaption", "details", "summary",
}
LITERAL_TAGS = {"script", "style"}
# What each inline pattern of the "extra" flavour needs in a text to match: code, escape, links and images,
# autolinks and raw HTML, entities, a line break, footnote references (emphasis: its delimiter tokens).
INLINE_TRIGGERS = {
    "backtick": ("`",), "escape": ("\\",), "reference": ("[",), "link": ("[",), "image_link": ("![",),
    "image_reference": ("![",), "short_reference": ("[",), "short_image_ref": ("![",), "autolink": ("<",),
    "automail": ("<",), "linebreak": ("  \n",), "html": ("<",), "entity": ("&",), "em_strong": ("*", "_"),
    "footnote": ("[^",),
}
SPACE_RUN_INSIDE = re.compile(r"(?<=\S)[ \t]{16,}")  # after a non-space: only a run's first place can start it
SPACE_RUNS = re.compile(r"[ \t\r\f\v]{2,}|[\t\r\f\v]")  # single spaces need no replacing
# Markdown steps that change nothing in a post without this text, by registry (names repeat across them): raw
# HTML blocks (md_in_html's extractor reads the whole post with an HTML parser); {: attribute lists} and the
# restoring of characters escaped with a backslash (each walks every element); and the block parsers tried on
# every block for Markdown inside raw HTML, tables, footnote, abbreviation and link reference definitions.
SKIPPABLE_STEPS = {
    "preprocessors": {"html_block": "<"},
    "treeprocessors": {"attr_list": "{", "unescape": "\\"},
    "blockprocessors": {"markdown_block": "<", "table": "|", "footnote": "[^", "abbr": "*[", "reference": "]:"},
}


@dataclass(frozen=True)
class Section:
    """One heading's part of a post (the intro has level 0 and no anchor)."""

    heading: str
    level: int
    path: tuple[str, ...]
    anchor: str
    text: str
    code: str = ""
    position: int = 0


# --- source clean-up ---


def strip_template_tags(source: str) -> str:
    """Remove Liquid tags and Hugo shortcodes outside fenced code; keep text inside paired shortcodes."""
    source = LIQUID_HIGHLIGHT_OPEN.sub(r"```\1", source)
    source = LIQUID_HIGHLIGHT_CLOSE.sub("```", source)
    if "{{" in source:
        source = CODE_SHORTCODE.sub(code_fence, source)
    chunks: list[str] = []
    prose: list[str] = []
    fence = ""
    for line in source.split("\n"):
        opener = FENCE.match(line)
        if fence:
            chunks.append(line)
            if opener and opener[1][0] == fence[0] and len(opener[1]) >= len(fence) and not line.strip()[len(opener[1]):]:
                fence = ""
        elif opener:
            if prose:
                chunks.append(clean_prose("\n".join(prose)))
            prose = []
            chunks.append(plain_fence(line, opener))
            fence = opener[1]
        else:
            prose.append(line)
    if prose:
        chunks.append(clean_prose("\n".join(prose)))
    return "\n".join(chunks)


def code_fence(match: re.Match[str]) -> str:
    """A Hugo code shortcode ({{< highlight go >}}, {{< code-toggle file=x >}}) as the fence it stands for, so the
    Go templates of its example stay as written (title = '{{ .Date }}', not title = '')."""
    if match[1]:
        return "```"
    arguments = (match[2] or "").split()
    named = re.search(r"\blang=[\"']?([\w+#-]+)", match[2] or "")
    if named:
        return "```" + named[1]
    return "```" + (arguments[0].strip("\"'") if arguments and "=" not in arguments[0] else "")


def plain_fence(line: str, opener: re.Match[str]) -> str:
    """A fence opener with only its language: Hugo's ```go {file="x"} would otherwise not open a code block."""
    info = line[opener.end() :].strip()
    language = re.match(r"\{?\s*\.?([\w+#.-]*)", info)
    return opener[1] + (language[1] if language else "")


def clean_prose(text: str) -> str:
    """Remove template tags, table-of-contents markers and GitHub's alert markers ([!NOTE]) from Markdown text that
    is not code; mark HTML containers for their Markdown to be rendered; shorten long runs of spaces inside a line
    (a page shows one space for them, and Python-Markdown's attr_list searched a heading's run of spaces from
    each of its places: 50,000 spaces took 1.4 s, 500,000 over 20 s)."""
    if " " * 16 in text or "\t" in text:  # (a run of 16 spaces and tabs holds one of these; a test is ~40x cheaper)
        text = SPACE_RUN_INSIDE.sub("  ", text)  # two: a line break stays a line break
    if "<" in text:
        text = HTML_CONTAINER.sub(r'\g<0> markdown="1"', text)
    if "TOC" in text or "{:toc}" in text:
        text = TOC_MARKER.sub("", text)
    if "[!" in text:
        text = ALERT_MARKER.sub(r"\1", text)
    if "{" not in text:
        return text
    kept, position = [], 0
    while opener := RAW_OPEN.search(text, position):  # {% raw %}...{% endraw %}: kept as written, tags and all
        closer = RAW_CLOSE.search(text, opener.end())
        if not closer:
            break
        kept += [without_template_tags(text[position : opener.start()]), text[opener.end() : closer.start()]]
        position = closer.end()
    return "".join(kept) + without_template_tags(text[position:])


def without_template_tags(text: str) -> str:
    """Text without Hugo shortcodes and Liquid tags."""
    return remove_spans(remove_spans(text, [SHORTCODE]), LIQUID_TAGS) if "{" in text else text


def remove_spans(text: str, kinds: Sequence[tuple[tuple[str, ...], tuple[str, ...]]]) -> str:
    """The text without each span from an opener to the nearest closer of its kind after it (what the lazy
    regex `opener.*?closer` removes, leftmost first), in one pass: each opener and closer is looked for once
    from each place, and an opener with no closer after it is never looked for again."""
    closer_of = {opener: closers for openers, closers in kinds for opener in openers}
    next_at: dict[str, int] = {}  # where each opener or closer occurs next (-1: nowhere further)

    def find(needle: str, start: int) -> int:
        at = next_at.get(needle)
        if at is None or 0 <= at < start:
            at = next_at[needle] = text.find(needle, start)
        return at

    kept, position = [], 0
    while closer_of:
        starts = {opener: at for opener in closer_of if (at := find(opener, position)) >= 0}
        if not starts:
            break
        opener = min(starts, key=starts.__getitem__)
        begin = starts[opener]
        ends = [at + len(closer) for closer in closer_of[opener] if (at := find(closer, begin + len(opener))) >= 0]
        if not ends:
            for other in [o for o, closers in closer_of.items() if closers == closer_of[opener]]:
                del closer_of[other]  # no closer of this kind after here: no opener of it can match further on
            continue
        kept.append(text[position:begin])
        position = min(ends)
    kept.append(text[position:])
    return "".join(kept)


def headings_as_written(source: str) -> list[str]:
    """The text of each ATX and setext heading outside fenced code, as written (Hugo's ids come from it)."""
    found: list[str] = []
    fence = ""
    previous = ""
    for line in source.split("\n"):
        opener = FENCE.match(line)
        if fence:
            if opener and opener[1][0] == fence[0] and len(opener[1]) >= len(fence):
                fence = ""
        elif opener:
            fence = opener[1]
        elif (atx := ATX_HEADING.match(line)) and not line.startswith("    "):
            found.append(atx_text(atx[1]))
        elif previous.strip() and SETEXT_UNDERLINE.match(line) and not previous.startswith(("    ", "\t")):
            found.append(previous.strip())
        previous = "" if fence or opener else line
    return found


def atx_text(rest: str) -> str:
    """An ATX heading's text from what follows its opening #s: without its closing #s (those after a space)."""
    text = rest.strip(" \t")
    unclosed = text.rstrip("#")
    if unclosed != text and (not unclosed or unclosed[-1] in " \t"):
        return unclosed.rstrip(" \t")
    return text


# --- HTML to sections ---


@dataclass
class SectionDraft:
    """A section while its text is being collected."""

    heading: str = ""
    level: int = 0
    explicit_id: str = ""
    prose: list[str] = field(default_factory=list)
    code: list[str] = field(default_factory=list)


class SectionCollector(HTMLParser):
    """Walks rendered HTML and collects the text under each heading."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.drafts: list[SectionDraft] = [SectionDraft()]
        self.in_heading = False
        self.pre_depth = 0
        self.literal_tag = ""

    @property
    def current(self) -> SectionDraft:
        return self.drafts[-1]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in HEADING_TAGS:
            self.drafts.append(SectionDraft(level=int(tag[1]), explicit_id=dict(attrs).get("id") or ""))
            self.in_heading = True
            return
        if tag in LITERAL_TAGS:
            self.literal_tag = tag
            self.add_text(self.get_starttag_text() or "")
        elif tag == "pre":
            self.pre_depth += 1
        elif tag == "img":
            self.add_text(" " + (dict(attrs).get("alt") or "") + " ")
        if tag in BLOCK_TAGS:
            self.add_text("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in HEADING_TAGS and self.in_heading:
            self.in_heading = False
            self.current.heading = " ".join(self.current.heading.split())
            return
        if tag == self.literal_tag:
            self.add_text(f"</{tag}>")
            self.literal_tag = ""
        elif tag == "pre":
            self.pre_depth = max(0, self.pre_depth - 1)
        if tag in BLOCK_TAGS:
            self.add_text("\n")

    def handle_data(self, data: str) -> None:
        self.add_text(data)

    def add_text(self, text: str) -> None:
        if self.in_heading:
            self.current.heading += text
        elif self.pre_depth:
            self.current.code.append(text)
        else:
            self.current.prose.append(text)


class QuickInlineProcessor(InlineProcessor):
    """Python-Markdown's inline pass, trying a pattern on a text only when the text holds what the pattern needs.

    Markdown looks each of its 15 patterns up in its registry and runs its regular expression over every text;
    with this check in Markdown's own loop, splitting posts takes a fifth less time and gives the same tree."""

    def __init__(self, renderer: markdown.Markdown) -> None:
        super().__init__(renderer)
        self.patterns: list[tuple[Any, tuple[str, ...]]] = []
        registry = renderer.inlinePatterns
        for name in sorted(INLINE_TRIGGERS, key=registry.get_index_for_name):  # in the order Markdown tries them
            pattern = registry[name]
            needs = getattr(pattern, "tokens", INLINE_TRIGGERS[name])  # emphasis: its delimiter tokens
            self.patterns.append((pattern, tuple(needs)))
        self.markup = re.compile("|".join(re.escape(trigger) for _, needs in self.patterns for trigger in needs))

    def _InlineProcessor__handleInline(self, data: str, patternIndex: int = 0) -> str:
        if isinstance(data, AtomicString) or not self.markup.search(data):
            return data
        start = 0
        while patternIndex < len(self.patterns):
            pattern, needs = self.patterns[patternIndex]
            for trigger in needs:  # anywhere in the text: a match only ever removes triggers
                if trigger in data:
                    data, matched, start = self._InlineProcessor__applyPattern(pattern, data, patternIndex, start)
                    break
            else:
                matched = False
            if not matched:
                patternIndex, start = patternIndex + 1, 0
        return data


class Renderer(markdown.Markdown):
    """Python-Markdown building an extension named by its module (superfences names pymdownx.highlight) from
    that module, without scanning every installed package's entry points first (~40 ms a process)."""

    def build_extension(self, ext_name: str, configs: Any) -> Extension:
        if "." in ext_name and ":" not in ext_name:
            return import_module(ext_name).makeExtension(**dict(configs))  # type: ignore[no-any-return]
        return super().build_extension(ext_name, configs)


def markdown_renderer() -> markdown.Markdown:
    """Python-Markdown with the "extra" extensions, and the quick inline pass when its patterns are the known ones."""
    renderer = Renderer(extensions=extra_extensions())
    renderer.treeprocessors.deregister("prettify")  # it only adds line breaks to the HTML; tidy() drops them
    patterns = renderer.inlinePatterns
    known = len(patterns) == len(INLINE_TRIGGERS) and all(name in patterns for name in INLINE_TRIGGERS)
    private = ("_InlineProcessor__handleInline", "_InlineProcessor__applyPattern")
    if known and all(hasattr(InlineProcessor, name) for name in private):
        renderer.treeprocessors.register(QuickInlineProcessor(renderer), "inline", 20)
    return renderer


def extra_extensions() -> list[Extension]:
    """The extensions Python-Markdown's "extra" stands for, made from their modules (naming an extension makes
    Markdown look for it among every installed package's entry points: ~40 ms a process, a tenth of a one-post
    update of cpp-docs), with pymdownx.superfences for fenced_code: Python-Markdown's fences work only at the
    top level, so a fence inside a list or a quote was read as text, its `#[attr]` lines as headings (as
    Goldmark, kramdown and markdown-it read them, superfences nests). Code is not highlighted: only its text is
    kept."""
    kept = [import_module(f"markdown.extensions.{name}").makeExtension() for name in extra.extensions if name != "fenced_code"]
    return [*kept, highlight.makeExtension(use_pygments=False), superfences.makeExtension()]


class TreeReader:
    """Feeds Python-Markdown's element tree to a SectionCollector as the events its HTML would give when parsed.

    Serialising the tree and parsing the HTML again took a fifth of a build; only text holding placeholders
    (raw HTML, entities, footnote marks) and unusual elements still go through Markdown's serialiser and the parser.
    """

    def __init__(self, renderer: markdown.Markdown, collector: SectionCollector) -> None:
        self.renderer = renderer
        self.collector = collector

    def read(self, root: Element) -> None:
        """Everything inside the root element, as Markdown's output strips the root tag."""
        if root.text:
            self.text(root.text)
        for child in root:
            self.element(child)

    def element(self, element: Element) -> None:
        tag = element.tag
        if not isinstance(tag, str) or tag.lower() in LITERAL_TAGS:  # comments, text wrappers, scripts
            self.feed_html(self.renderer.serializer(element))  # its tail included
            return
        tag = tag.lower()
        attrs = [(name, self.attribute(value)) for name, value in sorted(element.items())] if element.attrib else []
        self.collector.handle_starttag(tag, attrs)
        if element.text:
            self.text(element.text)
        for child in element:
            self.element(child)
        if tag not in HTML_EMPTY:
            self.collector.handle_endtag(tag)
        if element.tail:
            self.text(element.tail)

    def text(self, text: str) -> None:
        if "\x02" in text or "&" in text:  # a placeholder or an entity: as Markdown would write it
            self.feed_html(_escape_cdata(text))
        else:
            self.collector.handle_data(text)

    def attribute(self, value: str | None) -> str | None:
        if value is None or ("\x02" not in value and "&" not in value):
            return value
        return html.unescape(self.postprocess(_escape_attrib_html(value)))

    def feed_html(self, markup: str) -> None:
        self.collector.feed(self.postprocess(markup))
        self.collector.close()  # hand on buffered text now: the next events come after it

    def postprocess(self, markup: str) -> str:
        for processor in self.renderer.postprocessors:
            markup = processor.run(markup)
        return markup


def skip_unless_present(method: Callable, trigger: str, present: set[str], skipped: Callable) -> Callable:
    """A Markdown step's method that gives skipped(*args) at once while the trigger is not among those present."""

    def step(*args: Any) -> Any:
        return method(*args) if trigger in present else skipped(*args)

    return step


MAX_SECTIONS = 2000  # a post's headings past this many are text of its last section (100,000 headings: 16 s)


def within_section_limit(drafts: list[SectionDraft]) -> list[SectionDraft]:
    """The drafts with those past MAX_SECTIONS folded, headings and all, into the last one kept."""
    if len(drafts) <= MAX_SECTIONS:
        return drafts
    last = drafts[MAX_SECTIONS - 1]
    for draft in drafts[MAX_SECTIONS:]:
        last.prose.extend(["\n", draft.heading, "\n", *draft.prose])
        last.code.extend(draft.code)
    return drafts[:MAX_SECTIONS]


def unresolved_references_as_text(text: str) -> str:
    """[text][ref] with no link definition, as Python-Markdown leaves it: its text (the regular expression is
    tried only where "][" stands, a test ~30x cheaper than its search)."""
    return UNRESOLVED_REFERENCE.sub(r"\1", text) if "][" in text else text


def tidy(parts: list[str]) -> str:
    """Join text parts, collapsing runs of spaces and blank lines."""
    text = "".join(parts)
    if "  " in text or "\t" in text or "\r" in text or "\f" in text or "\v" in text:  # what SPACE_RUNS replaces
        text = SPACE_RUNS.sub(" ", text)
    lines = (line.strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)  # each run of white space holding a line break: one


class Sectioner:
    """Turns posts into sections; holds one reusable Markdown renderer."""

    def __init__(self, anchors: str | HeadingId = "github") -> None:
        """anchors: a style named in ANCHOR_STYLES, or a site's heading_id."""
        if isinstance(anchors, str) and anchors not in ANCHOR_STYLES:
            raise ValueError(f"unknown anchor style {anchors!r}; choose one of {', '.join(ANCHOR_STYLES)}")
        self.heading_id = ANCHOR_STYLES[anchors] if isinstance(anchors, str) else anchors
        self.renderer = markdown_renderer()
        self.present: set[str] = set()  # the triggers of SKIPPABLE_STEPS the post being rendered holds
        self.triggers = {trigger for steps in SKIPPABLE_STEPS.values() for trigger in steps.values()}
        for kind, steps in SKIPPABLE_STEPS.items():
            registry = getattr(self.renderer.parser if kind == "blockprocessors" else self.renderer, kind)
            for name, trigger in steps.items():
                if name not in registry:
                    continue
                step = registry[name]
                if kind == "blockprocessors":  # its test fails: the block goes on to the next parser
                    step.test = skip_unless_present(step.test, trigger, self.present, lambda parent, block: False)
                else:  # its run hands back what it was given
                    step.run = skip_unless_present(step.run, trigger, self.present, lambda given: given)

    def render(self, body: str) -> Element | None:
        """The post body as Python-Markdown's element tree (what convert() serialises), template tags removed."""
        return self.render_source(strip_template_tags(body))

    def render_source(self, source: str) -> Element | None:
        """Markdown without template tags as Python-Markdown's element tree (None when blank)."""
        renderer = self.renderer
        renderer.reset()
        if not source.strip():
            return None
        self.present.clear()
        self.present.update(trigger for trigger in self.triggers if trigger in source)
        lines = source.split("\n")
        for preprocessor in renderer.preprocessors:
            lines = preprocessor.run(lines)
        root = renderer.parser.parseDocument(lines).getroot()
        for treeprocessor in renderer.treeprocessors:
            root = treeprocessor.run(root) or root
        return root

    def split(self, post: Post) -> list[Section]:
        """The post's sections in document order; at least one."""
        collector = SectionCollector()
        source = strip_template_tags(post.body)
        root = self.render_source(source)
        if root is not None:
            TreeReader(self.renderer, collector).read(root)
        collector.close()
        drafts = collector.drafts
        if len(drafts) > 1 and not tidy(drafts[0].prose) and not tidy(drafts[0].code):
            drafts = drafts[1:]
        return self.finish(post.title, within_section_limit(drafts), headings_as_written(source))

    def finish(self, title: str, drafts: list[SectionDraft], source_headings: list[str]) -> list[Section]:
        """Assign anchors and heading paths to collected drafts (source_headings: the headings as written in
        Markdown, used where they match the drafts' headings one to one)."""
        used = {d.explicit_id for d in drafts if d.explicit_id}
        headings = [draft for draft in drafts if draft.level]
        written = iter(source_headings if len(source_headings) == len(headings) else [""] * len(headings))
        trail: list[tuple[int, str]] = []
        sections = []
        for position, draft in enumerate(drafts):
            if draft.level:
                trail = [(lvl, text) for lvl, text in trail if lvl < draft.level] + [(draft.level, draft.heading)]
            path = (title,) + tuple(text for lvl, text in trail if not (lvl == 1 and text == title))
            sections.append(
                Section(
                    heading=draft.heading,
                    level=draft.level,
                    path=path,
                    anchor=self.anchor_for(draft, next(written) if draft.level else "", used),
                    text=unresolved_references_as_text(tidy(draft.prose)),
                    code=tidy(draft.code),
                    position=position,
                )
            )
        return sections

    def anchor_for(self, draft: SectionDraft, written: str, used: set[str]) -> str:
        """The explicit {#id} when given (and made only of characters safe in a URL fragment and an HTML id),
        else the id the site's renderer gives the heading (written: its Markdown source, '' when unknown)."""
        if not draft.level:
            return ""
        if draft.explicit_id and SAFE_ID.fullmatch(draft.explicit_id):
            return draft.explicit_id
        return self.heading_id(draft.heading, written, used)
