"""One SearchIndex shared by 8 threads while another process commits: no errors, each result of one generation."""

from pathlib import Path

from bench.threads import hammer


def test_eight_threads_share_one_index_while_another_process_commits(tmp_path: Path):
    report = hammer(tmp_path, threads=8, commits=30, count=45)
    assert report.commits == 30, report.errors
    assert report.errors == [] and report.mixed == []
    assert len(report.generations) > 3  # the threads saw new generations come in while they searched
    assert all(report.generations.values()), report.generations  # each generation answered as one state
    assert report.searches > 100
    assert report.open_files > 0 and report.deleted_open == 0  # replaced generations closed their files
