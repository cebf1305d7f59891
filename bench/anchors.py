"""Link texts as known-item queries: posts link to other posts of their site with words a person chose
([2018 Rust Survey results](...)); each link text, searched, should find the post it links to. The linking
post is left out of each ranking.

Usage: python -m bench.anchors [--corpus rust-blog] [--queries 400] [--seed 7]
Builds the corpus's index (the site's generator detected, so URLs are the site's own) into a temporary folder,
reads every Markdown link and reference link of every post, keeps those whose target resolves to another post
of the site, and searches each text with postsearch, with tantivy (PyPI; BM25 over whole posts, title and body,
its default tokenizer, the words OR'ed) and with SQLite FTS5 (porter, bm25, the words OR'ed), on the same post
texts. Reported apart: links to the linking post itself, generic texts ("here", "this post") and texts that
are the target's title verbatim. Prints Success@1 and MRR@10 per engine and the queries postsearch refused;
writes bench/results/anchors-<corpus>.json and .md.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import urljoin, urlsplit

from bench.run import CORPORA, RESULTS, machine
from search import open_index
from search.errors import QueryError

POSTSEARCH = str(Path(sys.executable).parent / "postsearch")
INLINE_LINK = re.compile(r"(?<!!)\[([^\[\]\n]{2,200})\]\(\s*<?((?:\{%[^%\n]{0,200}%\}|[^)\s>])+)>?(?:\s+\"[^\"\n]*\")?\s*\)")
LIQUID_LINK = re.compile(r"\{%\s*(?:post_url|link)\s+(\S+)\s*%\}")  # Jekyll's {% post_url name %}, {% link path %}
DATE_PREFIX = re.compile(r"^\d{4}-\d{2}-\d{2}-")
REFERENCE_LINK = re.compile(r"(?<!!)\[([^\[\]\n]{2,200})\]\[([^\[\]\n]*)\]")
REFERENCE_DEFINITION = re.compile(r"^ {0,3}\[([^\]\n]+)\]:\s*<?(\S+?)>?(?:\s+.*)?$", re.MULTILINE)
HUGO_REF = re.compile(r"\{\{[<%]\s*(?:rel)?ref\s+\"?([^\"\s>%]+)\"?\s*[>%]\}\}")
GENERIC = {"here", "this", "this post", "link", "read more", "this blog post", "blog post", "post", "the post", "more",
           "this article", "article", "click here", "previous post", "last post", "announcement", "docs", "documentation"}
DEPTH = 10


@dataclass(frozen=True)
class Post:
    path: str
    url_key: str
    title: str
    text: str


@dataclass(frozen=True)
class Query:
    text: str
    source: str  # the linking post's path
    target: str  # the linked post's path
    kind: str  # "main", "self", "generic" or "title"


def url_key(url: str) -> str:
    """A URL's path, as links and post URLs are compared: no host, query, fragment, index.html, .html or slash."""
    path = urlsplit(url).path
    path = re.sub(r"(?:/index)?\.html?$", "", path).rstrip("/")
    return path.casefold()


def read_posts(index_dir: Path) -> dict[str, Post]:
    """Each indexed post: its path, URL, title and whole text (every section's heading, body and code)."""
    texts: dict[str, list[str]] = {}
    posts: dict[str, tuple[str, str]] = {}
    with open_index(index_dir) as index, index.snapshot() as snap:
        for docnum in snap.reader.all_doc_ids():
            post, fields = snap.scorer.post_fields(docnum), snap.stored(docnum)
            posts[post["path"]] = (post["url"], post["title"])
            texts.setdefault(post["path"], []).extend(fields.get(name, "") for name in ("heading", "body", "code"))
    return {path: Post(path, url_key(url), title, " ".join(texts[path])) for path, (url, title) in sorted(posts.items())}


def link_texts(root: Path, posts: dict[str, Post]) -> list[Query]:
    """Every link of every post whose target is a post of the site, with its kind."""
    by_url = {post.url_key: post for post in posts.values() if post.url_key}
    by_file = {PurePosixPath(path).with_suffix("").as_posix().casefold(): post for path, post in posts.items()}
    slugs: dict[str, list[Post]] = {}
    for path, post in posts.items():
        slugs.setdefault(DATE_PREFIX.sub("", PurePosixPath(path).stem).casefold(), []).append(post)
    by_slug = {slug: found[0] for slug, found in slugs.items() if len(found) == 1}
    found: list[Query] = []
    for path, post in posts.items():
        try:
            source = (root / path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        definitions = {name.casefold(): target for name, target in REFERENCE_DEFINITION.findall(source)}
        links = INLINE_LINK.findall(source)
        links += [(text, definitions.get((ref or text).casefold(), "")) for text, ref in REFERENCE_LINK.findall(source)]
        base_url = post.url_key + "/"
        for text, target in links:
            if target.startswith("#"):  # a place in the same page, not a link between posts
                continue
            text = " ".join(re.sub(r"[`*_]", " ", text).split())
            named = HUGO_REF.search(target) or LIQUID_LINK.search(target)
            target = re.sub(r"\{\{[^}]*\}\}", "", target)  # {{ site.baseurl }}/...
            key = url_key(urljoin(base_url, target))
            linked = by_file_target(named[1], path, by_file) if named else by_url.get(key) or by_slug.get(key.rsplit("/", 1)[-1])
            if linked is None or not text:
                continue
            kind = "self" if linked.path == path else "generic" if text.casefold() in GENERIC else (
                "title" if text.casefold() == linked.title.casefold() else "main")
            found.append(Query(text, path, linked.path, kind))
    return list({(q.text, q.source, q.target): q for q in found}.values())


def by_file_target(target: str, source: str, by_file: dict[str, Post]) -> Post | None:
    """The post a Hugo ref names: a content path, from the content root or the linking file's folder."""
    name = PurePosixPath(target.split("#")[0]).with_suffix("").as_posix().strip("/").casefold()
    name = re.sub(r"/(?:_?index)$", "", name)
    for key, post in by_file.items():
        key = re.sub(r"/(?:_?index)$", "", key)
        if key == name or key.endswith("/" + name):
            return post
    return None


def postsearch_ranker(index_dir: Path) -> Callable[[str], list[str] | None]:
    index = open_index(index_dir)

    def ranked(text: str) -> list[str] | None:
        try:
            return [hit.path for hit in index.search(text, per_page=DEPTH + 1).hits]
        except QueryError:
            return None

    return ranked


def tantivy_ranker(posts: dict[str, Post], folder: Path) -> Callable[[str], list[str] | None] | None:
    try:
        import tantivy
    except ImportError:
        return None
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("title", stored=False)
    builder.add_text_field("body", stored=False)
    builder.add_text_field("path", stored=True, tokenizer_name="raw")
    index = tantivy.Index(builder.build(), path=str(folder))
    writer = index.writer()
    for post in posts.values():
        writer.add_document(tantivy.Document(title=post.title, body=post.text, path=post.path))
    writer.commit()
    index.reload()
    searcher = index.searcher()

    def ranked(text: str) -> list[str] | None:
        words = re.sub(r"[^\w\s]", " ", text).split()
        if not words:
            return []
        query = index.parse_query(" ".join(words), ["title", "body"])
        return [searcher.doc(address)["path"][0] for _, address in searcher.search(query, DEPTH + 1).hits]

    return ranked


def fts_ranker(posts: dict[str, Post], database: Path) -> Callable[[str], list[str] | None]:
    connection = sqlite3.connect(database)
    connection.execute("CREATE VIRTUAL TABLE posts USING fts5(title, body, path UNINDEXED, tokenize='porter unicode61')")
    connection.executemany("INSERT INTO posts VALUES (?, ?, ?)", [(p.title, p.text, p.path) for p in posts.values()])
    connection.commit()

    def ranked(text: str) -> list[str] | None:
        words = re.findall(r"\w+", text)
        if not words:
            return []
        expression = " OR ".join(f'"{word}"' for word in words)
        rows = connection.execute("SELECT path FROM posts WHERE posts MATCH ? ORDER BY bm25(posts) LIMIT ?", (expression, DEPTH + 1))
        return [row[0] for row in rows]

    return ranked


def scores(queries: list[Query], ranked: Callable[[str], list[str] | None]) -> dict[str, float]:
    """Success@1 and MRR@10 over the queries (the linking post left out); refused queries count as misses."""
    success = reciprocal = refused = 0.0
    for query in queries:
        found = ranked(query.text)
        if found is None:
            refused += 1
            continue
        found = [path for path in found if path != query.source][:DEPTH]
        if query.target in found:
            rank = found.index(query.target) + 1
            success += rank == 1
            reciprocal += 1 / rank
    count = max(1, len(queries))
    return {"success_at_1": round(success / count, 3), "mrr_at_10": round(reciprocal / count, 3), "refused": int(refused)}


def link_text_options(description: str | None) -> argparse.ArgumentParser:
    """The options of the benchmarks that use link texts as queries: the corpus, how many texts, the seed."""
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", default="rust-blog")
    parser.add_argument("--queries", type=int, default=400)
    parser.add_argument("--seed", type=int, default=7)
    return parser


def main() -> int:
    args = link_text_options(__doc__).parse_args()
    root = CORPORA / args.corpus
    with tempfile.TemporaryDirectory(prefix="postsearch-anchors-") as work:
        folder = Path(work)
        subprocess.run([POSTSEARCH, "index", str(root), "--index", str(folder / "index")], check=True, capture_output=True)
        posts = read_posts(folder / "index")
        site_root = Path(json.loads((folder / "index" / "postsearch-state.json").read_text())["posts_dir"])
        every = link_texts(site_root, posts)
        main_set = sorted((q for q in every if q.kind == "main"), key=lambda q: (q.source, q.text, q.target))  # a build's order varies
        main_set = sorted(random.Random(args.seed).sample(main_set, min(args.queries, len(main_set))), key=lambda q: (q.source, q.text))
        titles = [q for q in every if q.kind == "title"]
        (folder / "tantivy").mkdir()
        engines = {"postsearch": postsearch_ranker(folder / "index"), "tantivy": tantivy_ranker(posts, folder / "tantivy"),
                   "fts5": fts_ranker(posts, folder / "fts.db")}
        result = {
            "corpus": args.corpus, "machine": machine(), "posts": len(posts),
            "links": {kind: sum(q.kind == kind for q in every) for kind in ("main", "self", "generic", "title")},
            "queries": len(main_set),
            "engines": {name: scores(main_set, ranked) for name, ranked in engines.items() if ranked},
            "title_queries": {name: scores(titles, ranked) for name, ranked in engines.items() if ranked},
            "misses": misses(main_set, postsearch_ranker(folder / "index"))[:20],
        }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"anchors-{args.corpus}.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / f"anchors-{args.corpus}.md").write_text(markdown(result))
    print(markdown(result))
    return 0


def misses(queries: list[Query], ranked: Callable[[str], list[str] | None]) -> list[dict[str, str]]:
    """Queries whose target postsearch does not put first, for reading."""
    found = []
    for query in queries:
        paths = [p for p in (ranked(query.text) or []) if p != query.source]
        if not paths or paths[0] != query.target:
            found.append({"query": query.text, "target": query.target, "first": paths[0] if paths else ""})
    return found


def markdown(result: dict) -> str:
    links = result["links"]
    lines = [
        f"# Link texts as queries: {result['corpus']} ({result['posts']} posts)\n",
        f"{result['queries']} link texts (of {links['main']}); reported apart: {links['self']} links to the linking post, "
        f"{links['generic']} generic texts, {links['title']} texts that are the target's title verbatim.\n",
        "| engine | Success@1 | MRR@10 | refused | title-verbatim Success@1 / MRR@10 |",
        "|---|---|---|---|---|",
    ]
    for name, measured in result["engines"].items():
        title = result["title_queries"][name]
        lines.append(f"| {name} | {measured['success_at_1']:.3f} | {measured['mrr_at_10']:.3f} | {measured['refused']} | "
                     f"{title['success_at_1']:.3f} / {title['mrr_at_10']:.3f} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
