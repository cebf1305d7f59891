import json
import multiprocessing
import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import bulk_post, write

from search import workers
from search.cli import main
from search.errors import IndexNotFound, IndexVersionMismatch, NotAnIndex, PostsDirNotFound, PostsearchError
from search.index_format import writing
from search.indexer import build_index
from search.manifest import MANIFEST_NAME
from search.query import SearchIndex

POSTS = {
    "alpha.md": "---\ntitle: Alpha post\n---\nApples grow on trees.\n\n## Pears\n\nPears too.\n",
    "beta.md": "---\ntitle: Beta post\n---\nBananas are yellow.\n",
    "gamma.md": "---\ntitle: Gamma post\ndraft: true\n---\nGrapes are secret.\n",
}


def search_paths(index_dir, text):
    with SearchIndex(index_dir) as searcher:
        return [hit.path for hit in searcher.search(text).hits]


def populate(posts_dir):
    for name, text in POSTS.items():
        write(posts_dir, name, text)

@contextmanager
def site_of_another_user(posts: dict[str, str]) -> Iterator[tuple[Path, Path, list[str]]]:
    """A posts folder (written, open to every user) and an index path in a fresh temporary folder, and the
    `postsearch index` command to run on them: as user nobody when this is root (root reads and writes any
    folder, so permissions could not be tested), else as this user."""
    import shutil
    import subprocess
    import sys
    import tempfile

    as_nobody = os.geteuid() == 0
    if as_nobody and not shutil.which("setpriv"):
        pytest.skip("running as root without setpriv to drop to another user")
    drop = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    if as_nobody and subprocess.run([*drop, sys.executable, "-c", "import search"], capture_output=True).returncode:
        pytest.skip(f"user nobody cannot run {sys.executable} with postsearch (a clone in a folder only root may enter)")
    site = Path(tempfile.mkdtemp(prefix="postsearch-permissions-"))
    try:
        posts_dir, index_dir = site / "posts", site / "index"
        for name, text in posts.items():
            write(posts_dir, name, text)
        for path in [site, *site.rglob("*")]:
            path.chmod(0o777 if path.is_dir() else 0o666)
        prefix = drop if as_nobody else []
        command = prefix + [str(Path(sys.executable).parent / "postsearch"), "index", str(posts_dir), "--index", str(index_dir)]
        yield posts_dir, index_dir, command
    finally:
        shutil.rmtree(site, ignore_errors=True)



def test_first_run_adds_and_skips_drafts(posts_dir, index_dir):
    populate(posts_dir)
    summary = build_index(posts_dir, index_dir)
    assert (summary.added, summary.skipped, summary.sections, summary.failed) == (2, 1, 3, ())
    assert search_paths(index_dir, "grapes") == []


def test_drafts_option_indexes_drafts(posts_dir, index_dir):
    populate(posts_dir)
    assert build_index(posts_dir, index_dir, drafts=True).added == 3
    assert search_paths(index_dir, "grapes") == ["gamma.md"]


def test_second_run_reports_everything_unchanged_without_touching_the_index(posts_dir, index_dir):
    populate(posts_dir)
    build_index(posts_dir, index_dir)
    before = sorted(os.listdir(index_dir))
    summary = build_index(posts_dir, index_dir)
    # the draft is skipped on every run, as on the first: 2 posts unchanged, 1 skipped, as `stats` counts them
    assert (summary.added, summary.updated, summary.unchanged, summary.deleted, summary.skipped) == (0, 0, 2, 0, 1)
    assert sorted(os.listdir(index_dir)) == before
    assert build_index(posts_dir, index_dir, rebuild=True).skipped == 1


def test_touched_but_identical_file_is_unchanged(posts_dir, index_dir):
    populate(posts_dir)
    build_index(posts_dir, index_dir)
    os.utime(posts_dir / "beta.md", (1, 1))
    summary = build_index(posts_dir, index_dir)
    assert (summary.unchanged, summary.skipped, summary.updated) == (2, 1, 0)  # the draft is skipped, as always


def test_changing_one_file_updates_exactly_that_post(posts_dir, index_dir):
    populate(posts_dir)
    build_index(posts_dir, index_dir)
    write(posts_dir, "beta.md", "---\ntitle: Beta post\n---\nBlueberries now.\n")
    summary = build_index(posts_dir, index_dir)
    assert (summary.added, summary.updated, summary.unchanged, summary.skipped) == (0, 1, 1, 1)
    assert search_paths(index_dir, "blueberries") == ["beta.md"]
    assert search_paths(index_dir, "bananas") == []


def test_deleting_a_file_removes_it(posts_dir, index_dir):
    populate(posts_dir)
    build_index(posts_dir, index_dir)
    (posts_dir / "alpha.md").unlink()
    summary = build_index(posts_dir, index_dir)
    assert (summary.deleted, summary.unchanged, summary.skipped) == (1, 1, 1)
    assert search_paths(index_dir, "apples") == []


def test_broken_post_is_reported_and_others_still_index(posts_dir, index_dir):
    populate(posts_dir)
    write(posts_dir, "broken.md", "---\ntitle: x\naliases: - %\n---\nbody\n")
    (posts_dir / "binary.md").write_bytes(b"\xff\xfe bad")
    summary = build_index(posts_dir, index_dir)
    assert summary.added == 2 and summary.skipped == 3
    failed = {f.path: f.error for f in summary.failed}
    assert set(failed) == {"broken.md", "binary.md"}
    assert "line 3" in failed["broken.md"] and "UTF-8" in failed["binary.md"]
    assert search_paths(index_dir, "apples") == ["alpha.md"]


def test_a_post_that_breaks_later_keeps_its_previous_version(posts_dir, index_dir):
    populate(posts_dir)
    build_index(posts_dir, index_dir)
    write(posts_dir, "alpha.md", "---\ntitle: [unclosed\n---\nApples changed.\n")
    summary = build_index(posts_dir, index_dir)
    assert [f.path for f in summary.failed] == ["alpha.md"]
    assert search_paths(index_dir, "apples") == ["alpha.md"]
    assert build_index(posts_dir, index_dir).failed  # still reported on the next run


def test_interrupted_run_leaves_previous_index_answering(posts_dir, index_dir):
    populate(posts_dir)
    build_index(posts_dir, index_dir)
    write(posts_dir, "alpha.md", "---\ntitle: Alpha post\n---\nApricots only.\n")

    def interrupt(total):
        def advance(count):
            raise KeyboardInterrupt
        return advance

    with pytest.raises(KeyboardInterrupt):
        build_index(posts_dir, index_dir, progress_start=interrupt)
    assert search_paths(index_dir, "apples") == ["alpha.md"]
    assert build_index(posts_dir, index_dir).updated == 1
    assert search_paths(index_dir, "apricots") == ["alpha.md"]


def test_a_site_updated_a_post_at_a_time_keeps_one_small_segment(posts_dir, index_dir):
    """Each run's small segment is merged into the next run's, so queries look words up in the bulk of the index
    and one small segment however many updates came before; every update stays searchable, nothing old does."""
    write(posts_dir, "bulk.md", bulk_post())
    for n in range(4):
        write(posts_dir, f"p{n}.md", f"---\ntitle: P{n}\n---\nold{n} text\n")
    build_index(posts_dir, index_dir)
    for n in range(4):
        write(posts_dir, f"p{n}.md", f"---\ntitle: P{n}\n---\nnew{n} text\n")
        build_index(posts_dir, index_dir)
        with SearchIndex(index_dir) as searcher, searcher.snapshot() as snap:
            sizes = sorted(segment.size for segment in snap.scorer.segments)
        assert len(sizes) == 2 and sizes[0] < writing.SMALL_SEGMENT_SECTIONS <= sizes[1]
        for m in range(4):
            assert search_paths(index_dir, f"new{m}" if m <= n else f"old{m}") == [f"p{m}.md"]
            assert search_paths(index_dir, f"old{m}" if m <= n else f"new{m}") == []
        with SearchIndex(index_dir) as searcher:  # the post fields of merged sections came along
            assert [(h.title, h.url) for h in searcher.search("text", per_page=4).hits] == [
                (f"P{m}", f"/p{m}/") for m in range(4)
            ]


def test_rebuild_reads_everything_again(posts_dir, index_dir):
    populate(posts_dir)
    build_index(posts_dir, index_dir)
    summary = build_index(posts_dir, index_dir, rebuild=True)
    assert (summary.added, summary.unchanged, summary.sections) == (2, 0, 3)
    assert search_paths(index_dir, "pears") == ["alpha.md"]


def test_settings_are_remembered_and_a_change_reindexes(posts_dir, index_dir):
    populate(posts_dir)
    build_index(posts_dir, index_dir, url_pattern="/notes/:slug/")
    assert build_index(posts_dir, index_dir).unchanged == 2
    with SearchIndex(index_dir) as searcher:
        assert searcher.search("apples").hits[0].url == "/notes/alpha/"
    assert build_index(posts_dir, index_dir, url_pattern="/:slug/").updated == 2


def test_missing_posts_folder(tmp_path, index_dir):
    with pytest.raises(PostsDirNotFound, match="does not exist"):
        build_index(tmp_path / "nope", index_dir)


def test_refuses_to_write_into_a_folder_that_is_not_an_index(posts_dir, tmp_path):
    populate(posts_dir)
    other = tmp_path / "documents"
    write(other, "thesis.txt", "precious")
    with pytest.raises(NotAnIndex, match="not a postsearch index"):
        build_index(posts_dir, other)
    assert (other / "thesis.txt").read_text() == "precious"


def test_a_table_of_contents_naming_a_moved_class_asks_for_rebuild(posts_dir, index_dir):
    """Whoosh's table of contents pickles class paths; one this version cannot import is a version mismatch
    (with the rebuild hint), not a bare AttributeError or ImportError, and a rebuild repairs it."""
    populate(posts_dir)
    build_index(posts_dir, index_dir)
    [toc] = index_dir.glob("_MAIN_*.toc")
    moved = toc.read_bytes().replace(b"search.index_format.codec", b"search.index_format.cOdec")
    assert moved != toc.read_bytes()
    toc.write_bytes(moved)
    with pytest.raises(IndexVersionMismatch, match="--rebuild"):
        SearchIndex(index_dir)
    result = CliRunner().invoke(main, ["query", "apples", "--index", str(index_dir)])
    assert result.exit_code == 1 and result.output.startswith("Error: The index in ") and "--rebuild" in result.output
    assert build_index(posts_dir, index_dir, rebuild=True).added == 2
    assert search_paths(index_dir, "apples") == ["alpha.md"]


def test_other_schema_version_asks_for_rebuild(posts_dir, index_dir):
    populate(posts_dir)
    build_index(posts_dir, index_dir)
    for manifest_file in index_dir.glob("postsearch*.json"):  # as another version would have written them
        manifest = json.loads(manifest_file.read_text())
        manifest["schema_version"] = 0
        manifest_file.write_text(json.dumps(manifest))
    with pytest.raises(IndexVersionMismatch, match="--rebuild"):
        build_index(posts_dir, index_dir)
    with pytest.raises(IndexVersionMismatch):
        SearchIndex(index_dir)
    assert build_index(posts_dir, index_dir, rebuild=True).added == 2
    assert search_paths(index_dir, "apples") == ["alpha.md"]


def write_many_posts(posts_dir, count=260, edition=""):
    for number in range(count):
        lang = "lang: de\n" if number % 50 == 7 else ""
        write(posts_dir, f"p{number:03}.md",
              f"---\ntitle: Post {number}\n{lang}---\nword{number} common {edition}\n\n"
              f"## Part\n\nmore text {number % 9}\n")
    write(posts_dir, "p999.md", "---\ntitle: [broken\n---\ntext\n")
    write(posts_dir, "p998.md", "---\ntitle: Draft\ndraft: true\n---\ncommon\n")


def results(index_dir, queries=("word137", "common", "more text 4", "part", "post 12*", "edited")):
    with SearchIndex(index_dir) as searcher:
        found = [searcher.search(q, per_page=20) for q in queries]
        return [(r.total, [(h.path, round(h.score, 4), [s.url for s in h.sections]) for h in r.hits]) for r in found]


def summary_fields(summary):
    return (summary.added, summary.updated, summary.unchanged, summary.deleted, summary.skipped, summary.sections,
            [f.path for f in summary.failed])


@pytest.fixture(params=["workers write", "one writer"])
def who_writes(request, monkeypatch):
    """Parallel runs both ways: each worker writes its files' sections into its own segments, or the workers
    only parse and this process writes every section (a small site's run)."""
    monkeypatch.setattr(workers, "ONE_WRITER_FILES", 0 if request.param == "workers write" else 10**9)
    return request.param


def segment_count(index_dir):
    with SearchIndex(index_dir) as searcher, searcher.snapshot() as snap:
        return len(snap.scorer.segments)


def test_worker_processes_build_the_index_one_process_builds(posts_dir, tmp_path, who_writes):
    """Workers give the same summary, manifest and search results as one process; so does an update of many
    posts, which deletes their old sections from the segments the workers wrote."""
    write_many_posts(posts_dir)
    by_workers, by_one = tmp_path / "workers", tmp_path / "one"
    parallel, serial = build_index(posts_dir, by_workers, workers=2), build_index(posts_dir, by_one, workers=1)
    assert summary_fields(parallel) == summary_fields(serial) == (260, 0, 0, 0, 2, 520, ["p999.md"])
    assert segment_count(by_workers) == (2 if who_writes == "workers write" else 1)
    assert results(by_workers) == results(by_one)
    assert results(by_workers)[0][1][0][0] == "p137.md"
    first_manifest = json.loads((by_workers / MANIFEST_NAME).read_text())
    assert first_manifest["languages"] == json.loads((by_one / MANIFEST_NAME).read_text())["languages"] == ["de"]
    write_many_posts(posts_dir, count=230, edition="edited")
    parallel, serial = build_index(posts_dir, by_workers, workers=2), build_index(posts_dir, by_one, workers=1)
    assert summary_fields(parallel) == summary_fields(serial) == (0, 230, 30, 0, 2, 520, ["p999.md"])  # a draft and p999 skipped
    assert results(by_workers) == results(by_one)
    assert results(by_workers)[-1][0] == 230




def test_sections_tied_at_the_proximity_cut_rank_alike_however_the_build_numbered_them(posts_dir, tmp_path, who_writes):
    """220 sections score alike until proximity, which only the best 50 get; the later a post's path, the closer
    its two words. Workers number sections in another order than one process; the results must not change."""
    for number in range(220):
        gap = 220 - number
        body = " ".join(["alpha"] + ["filler"] * gap + ["beta"] + ["filler"] * (number + 1))
        write(posts_dir, f"p{number:03}.md", f"---\ntitle: Post {number}\n---\n{body}\n")
    by_workers, by_one = tmp_path / "workers", tmp_path / "one"
    build_index(posts_dir, by_workers, workers=2), build_index(posts_dir, by_one, workers=1)
    assert results(by_workers, ("alpha beta",)) == results(by_one, ("alpha beta",))
    assert results(by_one, ("alpha beta",))[0][0] == 220


def test_workers_and_one_process_whose_postings_outgrow_memory_build_the_same_index(posts_dir, tmp_path, monkeypatch, who_writes):
    monkeypatch.setattr(writing, "MAX_POSTINGS_IN_MEMORY", 500)  # a few hundred sections' worth per segment
    write_many_posts(posts_dir)
    by_workers, by_one = tmp_path / "workers", tmp_path / "one"
    parallel, serial = build_index(posts_dir, by_workers, workers=2), build_index(posts_dir, by_one, workers=1)
    assert summary_fields(parallel) == summary_fields(serial)
    assert results(by_workers) == results(by_one)
    assert segment_count(by_workers) > 4


def test_interrupted_run_with_workers_leaves_previous_index_answering(posts_dir, index_dir, who_writes):
    write_many_posts(posts_dir)
    build_index(posts_dir, index_dir, workers=2)
    write_many_posts(posts_dir, edition="edited")

    def interrupt(total):
        def advance(count):
            raise KeyboardInterrupt
        return advance

    with pytest.raises(KeyboardInterrupt):
        build_index(posts_dir, index_dir, progress_start=interrupt, workers=2)
    edited, word = results(index_dir, ["edited", "word137"])
    assert edited[0] == 0 and [hit[0] for hit in word[1]] == ["p137.md"]
    assert build_index(posts_dir, index_dir, workers=2).updated == 260
    assert results(index_dir, ["edited"])[0][0] == 260


@pytest.mark.parametrize("options", [{"rebuild": True}, {"lang": "de"}, {"rebuild": True, "workers": 2}])
def test_interrupted_full_build_leaves_previous_index_answering(posts_dir, index_dir, options):
    """A rebuild, or a settings change that reads every post again, clears the old index only when it commits."""
    write_many_posts(posts_dir)
    build_index(posts_dir, index_dir)

    def interrupt(total):
        def advance(count):
            raise KeyboardInterrupt
        return advance

    with pytest.raises(KeyboardInterrupt):
        build_index(posts_dir, index_dir, progress_start=interrupt, **options)
    assert [hit[0] for hit in results(index_dir, ["word137"])[0][1]] == ["p137.md"]
    summary = build_index(posts_dir, index_dir, **options)
    assert summary.added + summary.updated == 260 and summary.sections == 520
    assert [hit[0] for hit in results(index_dir, ["word137"])[0][1]] == ["p137.md"]


def test_a_worker_that_dies_stops_the_run_and_leaves_previous_index_answering(posts_dir, index_dir, who_writes):
    write_many_posts(posts_dir, count=600)
    build_index(posts_dir, index_dir)

    def kill_a_worker(total):
        def advance(count):
            for child in multiprocessing.active_children():
                os.kill(child.pid, signal.SIGKILL)
                return
        return advance

    with pytest.raises(PostsearchError, match="worker process stopped unexpectedly; the index is unchanged"):
        build_index(posts_dir, index_dir, rebuild=True, workers=2, progress_start=kill_a_worker)
    assert multiprocessing.active_children() == []
    assert [hit[0] for hit in results(index_dir, ["word137"])[0][1]] == ["p137.md"]


@pytest.mark.parametrize("workers", [1, 2])
def test_a_first_build_stopped_before_its_end_can_run_again(posts_dir, index_dir, workers):
    write_many_posts(posts_dir)

    def interrupt(total):
        def advance(count):
            raise KeyboardInterrupt
        return advance

    with pytest.raises(KeyboardInterrupt):
        build_index(posts_dir, index_dir, progress_start=interrupt, workers=workers)
    with pytest.raises(IndexNotFound):
        SearchIndex(index_dir)
    assert build_index(posts_dir, index_dir, workers=workers).added == 260
    assert [hit[0] for hit in results(index_dir, ["word137"])[0][1]] == ["p137.md"]


def test_a_symlink_loop_is_read_once(posts_dir, index_dir):
    """`ln -s . loop` in the posts folder neither crashes the run nor indexes the posts again under loop/."""
    populate(posts_dir)
    (posts_dir / "loop").symlink_to(".")
    summary = build_index(posts_dir, index_dir)
    assert (summary.added, summary.failed) == (2, ())
    assert search_paths(index_dir, "apples") == ["alpha.md"]


def test_an_unreadable_folder_is_reported_and_its_posts_kept():
    """A folder the indexing process cannot read is a failure with its reason, and the posts indexed from it
    before stay (they are not deleted)."""
    import subprocess

    with site_of_another_user({**POSTS, "locked/gamma.md": "---\ntitle: Gamma\n---\nGrapes.\n"}) as (posts_dir, index_dir, command):
        subprocess.run(command, check=True, capture_output=True)
        (posts_dir / "locked").chmod(0)
        run = subprocess.run(command + ["--json"], capture_output=True, text=True)
        (posts_dir / "locked").chmod(0o777)
        summary = json.loads(run.stdout)
        assert summary["deleted"] == 0 and [f["path"] for f in summary["failed"]] == ["locked/"], summary
        assert "Cannot read the folder" in summary["failed"][0]["error"]
        assert search_paths(index_dir, "grapes") == ["locked/gamma.md"]

def test_hostile_front_matter_is_a_failure_with_its_reason_and_the_rest_index(posts_dir, index_dir):
    """A YAML alias bomb (9 levels of 10 aliases), front matter that is a list or a string, and JSON nested
    10,000 deep each end as a failed post with its reason; the good post is indexed."""
    bomb = ["---", 'a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for previous, name in zip("abcdefgh", "bcdefghi"):
        bomb.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 10) + "]")
    write(posts_dir, "bomb.md", "\n".join(bomb + ["title: Bomb", "---", "body"]) + "\n")
    write(posts_dir, "list.md", "---\n- a\n- b\n---\nbody\n")
    write(posts_dir, "scalar.md", "---\njust a string\n---\nbody\n")
    write(posts_dir, "deep.md", "{\n\"a\": " + "[" * 10000 + "1" + "]" * 10000 + "\n}\nbody\n")
    write(posts_dir, "good.md", "---\ntitle: Good\n---\nA good apple.\n")
    summary = build_index(posts_dir, index_dir)
    reasons = {failure.path: failure.error for failure in summary.failed}
    assert summary.added == 1 and set(reasons) == {"bomb.md", "list.md", "scalar.md", "deep.md"}
    assert "once its YAML aliases are expanded" in reasons["bomb.md"]
    assert "is a list, not a mapping" in reasons["list.md"] and "is a str, not a mapping" in reasons["scalar.md"]
    assert reasons["deep.md"].startswith("RecursionError")
    assert search_paths(index_dir, "apple") == ["good.md"]


def test_workers_end_with_a_killed_run_and_the_next_run_proceeds(tmp_path, processes):
    """SIGKILL of `postsearch index` while its workers parse: the workers end within seconds (they held the
    index's write lock), and the next run indexes without manual clean-up."""
    import subprocess
    import sys
    import time

    posts_dir, index_dir = tmp_path / "posts", tmp_path / "index"
    paragraph = "Words about indexing and parsing, with a [link](https://example.com) and `code`.\n\n"
    for n in range(400):
        write(posts_dir, f"p{n:03d}.md", f"---\ntitle: Post {n}\n---\n" + "".join(f"## Part {k}\n\n{paragraph * 6}" for k in range(25)))
    postsearch = str(Path(sys.executable).parent / "postsearch")
    run = subprocess.Popen([postsearch, "index", str(posts_dir), "--index", str(index_dir), "--jobs", "2"])
    processes.append(run)

    def workers() -> list[int]:
        found = []
        for entry in Path("/proc").iterdir():
            try:
                if entry.name.isdigit() and int(entry.name) != run.pid and str(index_dir) in (entry / "cmdline").read_text():
                    found.append(int(entry.name))
            except OSError:
                continue
        return found

    deadline = time.monotonic() + 20
    while len(workers()) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(workers()) >= 2, "the run's workers never started"
    run.kill()
    run.wait()
    deadline = time.monotonic() + 10
    while workers() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert workers() == []
    finished = subprocess.run([postsearch, "index", str(posts_dir), "--index", str(index_dir), "--json"], capture_output=True, text=True)
    assert finished.returncode == 0, finished.stderr
    assert json.loads(finished.stdout)["added"] == 400


def test_a_second_writer_names_the_first_and_waits_when_asked(tmp_path, processes):
    """While one `postsearch index` writes, another exits 75 naming its process, or with --wait waits for it
    and then runs; never both writing."""
    import subprocess
    import sys
    import time

    posts_dir, index_dir = tmp_path / "posts", tmp_path / "index"
    paragraph = "Words about indexing and parsing, with a [link](https://example.com) and `code`.\n\n"
    for n in range(600):  # long enough that the first run still writes when the others start
        write(posts_dir, f"p{n:03d}.md", f"---\ntitle: Post {n}\n---\n" + "".join(f"## Part {k}\n\n{paragraph * 4}" for k in range(20)))
    postsearch = str(Path(sys.executable).parent / "postsearch")
    command = [postsearch, "index", str(posts_dir), "--index", str(index_dir), "--jobs", "1"]
    first = subprocess.Popen(command)
    processes.append(first)
    pid_file = index_dir / "postsearch-writer.pid"
    deadline = time.monotonic() + 30
    while not pid_file.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert pid_file.read_text() == str(first.pid)
    refused = subprocess.run(command, capture_output=True, text=True)
    assert refused.returncode == 75 and f"(process {first.pid})" in refused.stderr and "--wait" in refused.stderr
    waited = subprocess.run(command + ["--wait", "60", "--json"], capture_output=True, text=True)
    assert first.wait() == 0
    assert waited.returncode == 0, waited.stderr
    assert json.loads(waited.stdout)["unchanged"] == 600 and not pid_file.exists()


def test_a_read_only_index_folder_is_one_error_line_and_the_index_still_answers():
    """A run that cannot write the index folder ends with one Error: line and leaves the index answering as it was."""
    import subprocess

    with site_of_another_user(POSTS) as (posts_dir, index_dir, command):
        subprocess.run(command, check=True, capture_output=True)
        write(posts_dir, "gamma.md", "---\ntitle: Gamma\n---\nGrapes.\n")
        (posts_dir / "gamma.md").chmod(0o666)
        index_dir.chmod(0o555)
        failed = subprocess.run(command, capture_output=True, text=True)
        index_dir.chmod(0o777)
        assert failed.returncode == 1 and failed.stderr.startswith("Error: Cannot write the index in ")
        assert len(failed.stderr.strip().splitlines()) == 1 and "unchanged" in failed.stderr
        assert search_paths(index_dir, "apples") == ["alpha.md"] and search_paths(index_dir, "grapes") == []


def test_many_incremental_runs_keep_the_segments_bounded(posts_dir, index_dir):
    """Each run changing more than a small segment's sections adds a segment; past six the smallest are merged,
    so a server's open files and every query's look-ups do not grow with the number of runs."""
    from search import open_index
    from search.indexer import build_index

    for n in range(90):
        write(posts_dir, f"p{n}.md", f"---\ntitle: Post {n}\n---\n## One\n\nalpha {n}\n\n## Two\n\nbeta\n\n## Three\n\ngamma\n")
    build_index(posts_dir, index_dir)
    for run in range(9):
        for n in range(run % 2, 90, 2):  # 45 posts, 135 sections: more than a small segment
            path = posts_dir / f"p{n}.md"
            path.write_text(path.read_text() + f"\nround{run}\n")
        build_index(posts_dir, index_dir)
        assert len(list(index_dir.glob("*.seg"))) <= 6
    with open_index(index_dir) as searcher:
        assert searcher.stats().posts == 90
        assert searcher.search("round8").total == 45 and searcher.search("gamma").total == 90



def test_deleted_sections_are_purged_so_runs_do_not_grow_with_a_sites_age(posts_dir, index_dir):
    """Each run deletes the old sections of the posts it updates; a segment more than MAX_DELETED_SHARE deleted
    is written again without them, so the index holds about its live sections however many runs came before."""
    for n in range(40):
        parts = "".join(f"## Part {k}\n\nword{k} of post {n}\n\n" for k in range(10))
        write(posts_dir, f"p{n}.md", f"---\ntitle: Post {n}\n---\n{parts}")
    build_index(posts_dir, index_dir)
    for run in range(12):
        for n in range(run * 4 % 40, run * 4 % 40 + 4):  # 4 posts, 40 sections a run, every post in turn
            path = posts_dir / f"p{n}.md"
            path.write_text(path.read_text() + f"\nround{run}\n")
        build_index(posts_dir, index_dir)
        with SearchIndex(index_dir) as searcher, searcher.snapshot() as snap:
            held = sum(segment.size for segment in snap.scorer.segments)  # deleted sections included
            live = sum(int(segment.live.sum()) for segment in snap.scorer.segments)
        assert live == 400 and held <= live * (1 + writing.MAX_DELETED_SHARE) + writing.SMALL_SEGMENT_SECTIONS
    with SearchIndex(index_dir) as searcher:
        assert searcher.search("round11").total == 4 and searcher.search("word3").total == 40
