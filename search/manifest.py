"""The index's manifest: schema version, settings and what was indexed from each file."""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .config import Settings
from .errors import IndexNotFound, IndexVersionMismatch, NotAnIndex, PostsearchError, shown
from .index_format import INDEX_NAME, POSTS_FILE_PREFIX, sync_file

MANIFEST_NAME = "postsearch.json"
STATE_NAME = "postsearch-state.json"  # what a query needs of the manifest: read at every open, so kept small
TOC_FILE = re.compile(rf"^_{INDEX_NAME}_(\d+)\.toc$")
SETTLED_NS = 2 * 10**9  # a folder's timestamp this old cannot be repeated by a later change (see folder_identity)
# Whoosh's files (segments, tables of contents, lock, temporary) and the per-post arrays
INDEX_FILE = re.compile(rf"^(?:_?{INDEX_NAME}[_.]|{POSTS_FILE_PREFIX}|postsearch-writer\.pid$)")


@dataclass(frozen=True)
class FileRecord:
    """What the last run saw of one post file."""

    mtime_ns: int
    size: int
    digest: str
    sections: int
    indexed: bool

    def to_list(self) -> list[Any]:
        return [self.mtime_ns, self.size, self.digest, self.sections, self.indexed]


@dataclass
class Manifest:
    """The state of an index as its last successful run left it."""

    schema_version: int
    settings: Settings
    generation: int = -1
    built_at: str = ""
    posts_dir: str = ""
    files: dict[str, FileRecord] = field(default_factory=dict)
    languages: tuple[str, ...] = ()  # of posts whose language is not the site's
    segment_files: dict[str, int] = field(default_factory=dict)  # each segment file of the generation: its size
    build_id: str = ""  # made anew at each commit: what a generation is, whatever its number (see new_build_id)

    @property
    def sections(self) -> int:
        """Sections in the index."""
        return sum(r.sections for r in self.files.values() if r.indexed)

    @property
    def posts(self) -> int:
        """Posts in the index."""
        return sum(1 for r in self.files.values() if r.indexed)


@dataclass(frozen=True)
class IndexState:
    """What a query needs to know of an index: its generation, settings and size."""

    schema_version: int
    settings: Settings
    generation: int
    built_at: str
    posts_dir: str
    languages: tuple[str, ...]
    posts: int
    sections: int
    build_id: str = ""

    @property
    def build(self) -> str:
        """The build that wrote this state (see build_name)."""
        return build_name(self.build_id, self.generation)


def new_build_id() -> str:
    """An id for a commit, unique across machines and runs (two independent builds of a site share generation
    numbers: a folder swapped for another of the same number was never picked up). Sorts by time."""
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + "-" + os.urandom(6).hex()


def file_digest(data: bytes) -> str:
    """A short content hash of a post file."""
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def manifest_path(index_dir: Path) -> Path:
    return index_dir / MANIFEST_NAME


def latest_generation(index_dir: Path) -> int:
    """The newest committed Whoosh generation in the folder, or -1."""
    try:
        names = os.listdir(index_dir)
    except FileNotFoundError:
        return -1
    generations = [int(m[1]) for m in map(TOC_FILE.match, names) if m]
    return max(generations, default=-1)


def is_empty_folder(index_dir: Path) -> bool:
    """True when the folder is missing or holds only dot files, or what a first build stopped before its end
    left (Whoosh's files without a manifest)."""
    if not index_dir.exists():
        return True
    return all(name.startswith(".") or INDEX_FILE.match(name) for name in os.listdir(index_dir))


def load_manifest(index_dir: Path, schema_version: int) -> Manifest | None:
    """The manifest, None for a new index; raises for a foreign folder or another version."""
    path = manifest_path(index_dir)
    if not path.exists():
        if is_empty_folder(index_dir):
            return None
        raise NotAnIndex(index_dir, f"{shown(index_dir)} is not a postsearch index (it has no {MANIFEST_NAME}).")
    data = read_checked(index_dir, path, schema_version)
    version = int(data["schema_version"])
    return Manifest(
        schema_version=version,
        settings=Settings.from_dict(data.get("settings", {})),
        generation=int(data.get("generation", -1)),
        built_at=data.get("built_at", ""),
        posts_dir=data.get("posts_dir", ""),
        files={rel: FileRecord(*record) for rel, record in data.get("files", {}).items()},
        languages=tuple(data.get("languages", ())),
        segment_files={name: int(size) for name, size in data.get("segment_files", {}).items()},
        build_id=str(data.get("build_id", "")),
    )


def segment_files(index_dir: Path, names: list[str]) -> dict[str, int]:
    """The size of each of the named segment files."""
    return {name: os.stat(index_dir / name).st_size for name in names}


def segments_changed(index_dir: Path, manifest: Manifest) -> bool:
    """Whether a segment file the manifest recorded is gone or has another size (truncated, overwritten): a stat
    of each, where opening the index to find out would cost a whole Whoosh import."""
    for name, size in manifest.segment_files.items():
        try:
            if os.stat(index_dir / name).st_size != size:
                return True
        except OSError:
            return True
    return False


def read_checked(index_dir: Path, path: Path, schema_version: int) -> dict[str, Any]:
    """A manifest file's JSON; raises NotAnIndex when it is damaged and IndexVersionMismatch for another version."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        version = int(data["schema_version"])
    except (ValueError, KeyError, TypeError) as error:
        raise NotAnIndex(index_dir, f"{path} is damaged ({error}).") from error
    if version != schema_version:
        raise IndexVersionMismatch(
            index_dir, f"The index in {shown(index_dir)} has schema version {version}; this postsearch uses {schema_version}."
        )
    return data


def save_manifest(index_dir: Path, manifest: Manifest) -> None:
    """Write the manifest, then the state a query reads, each atomically (a temporary file renamed over the old)."""
    manifest.built_at = datetime.now(UTC).isoformat(timespec="seconds")
    manifest.build_id = new_build_id()
    data = {
        "build_id": manifest.build_id,
        "schema_version": manifest.schema_version,
        "settings": manifest.settings.to_dict(),
        "generation": manifest.generation,
        "built_at": manifest.built_at,
        "posts_dir": manifest.posts_dir,
        "languages": sorted(manifest.languages),
        "segment_files": manifest.segment_files,
        "files": {rel: record.to_list() for rel, record in sorted(manifest.files.items())},
    }
    write_atomically(manifest_path(index_dir), data)
    state = {key: value for key, value in data.items() if key not in ("files", "segment_files")}
    write_atomically(index_dir / STATE_NAME, {**state, "posts": manifest.posts, "sections": manifest.sections})


def write_atomically(target: Path, data: dict[str, Any]) -> None:
    """Write JSON to a temporary file, flush it to the disk, and rename it over the target (then the folder's
    entry is flushed too): after a power cut the file is the old one or the new one, whole."""
    temporary = target.with_suffix(".tmp")
    with open(temporary, "w", encoding="utf-8") as file:
        file.write(json.dumps(data, separators=(",", ":")))
        file.flush()
        os.fsync(file.fileno())
    os.replace(temporary, target)
    sync_file(target.parent)


def recorded_posts_dir(index_dir: Path) -> str | None:
    """The posts folder an index was built from, or None when there is no readable index there."""
    for name in (STATE_NAME, MANIFEST_NAME):
        try:
            return json.loads((index_dir / name).read_text(encoding="utf-8")).get("posts_dir") or None
        except (OSError, ValueError, AttributeError):
            continue
    return None


def load_manifest_settings(index_dir: Path) -> Settings | None:
    """The settings an index was built with, or None when there is no readable index there."""
    for name in (STATE_NAME, MANIFEST_NAME):
        try:
            return Settings.from_dict(json.loads((index_dir / name).read_text(encoding="utf-8")).get("settings") or {})
        except (OSError, ValueError, AttributeError, TypeError, PostsearchError):
            continue
    return None


def require_state(index_dir: Path, schema_version: int) -> IndexState:
    """What a query needs of an existing index, without reading the manifest's file table; IndexNotFound when
    there is no index."""
    path = index_dir / STATE_NAME
    if not path.exists() or latest_generation(index_dir) < 0:  # says why, or a run stopped before writing it
        manifest = require_index(index_dir, schema_version)
        return IndexState(
            manifest.schema_version, manifest.settings, manifest.generation, manifest.built_at, manifest.posts_dir,
            manifest.languages, manifest.posts, manifest.sections, manifest.build_id,
        )
    data = read_checked(index_dir, path, schema_version)
    return IndexState(
        schema_version=int(data["schema_version"]),
        settings=Settings.from_dict(data.get("settings", {})),
        generation=int(data.get("generation", -1)),
        built_at=data.get("built_at", ""),
        posts_dir=data.get("posts_dir", ""),
        languages=tuple(data.get("languages", ())),
        posts=int(data.get("posts", 0)),
        sections=int(data.get("sections", 0)),
        build_id=str(data.get("build_id", "")),
    )


def folder_key(index_dir: Path) -> tuple[int, int] | None:
    """The folder the path names now (device, inode): a folder renamed into place, or a `current` link switched
    to another, has another; None when it is gone."""
    try:
        found = os.stat(index_dir)
    except OSError:
        return None
    return found.st_dev, found.st_ino


def folder_identity(index_dir: Path) -> tuple[int, int, int] | None:
    """The folder the path names now (device, inode) and its modification time, when that time is old enough
    that any later change (a commit adds a file) must show as another time, else None: file systems stamp at a
    coarse clock tick, so a change within the tick of the last one could leave the time as it was."""
    try:
        found = os.stat(index_dir)
    except OSError:
        return None
    settled = time.time_ns() - found.st_mtime_ns > SETTLED_NS
    return (found.st_dev, found.st_ino, found.st_mtime_ns) if settled else None


def build_name(build_id: str, generation: int) -> str:
    """What a build is called: its id, or for an index written before ids, its generation."""
    return build_id or f"generation-{generation}"


def current_build(index_dir: Path) -> tuple[str, int] | None:
    """The build the folder holds now and its newest generation, read from its state file and its listing; None
    when it cannot be read (gone, half-copied, another version)."""
    try:
        data = json.loads((index_dir / STATE_NAME).read_text(encoding="utf-8"))
        build = build_name(str(data.get("build_id") or ""), int(data.get("generation", -1)))
    except (OSError, ValueError, AttributeError, TypeError):
        return None
    return build, latest_generation(index_dir)


def require_index(index_dir: Path, schema_version: int) -> Manifest:
    """The manifest of an existing index; raises IndexNotFound when there is none."""
    manifest = load_manifest(index_dir, schema_version)
    if manifest is None or latest_generation(index_dir) < 0:
        raise IndexNotFound(index_dir, f"No index in {shown(index_dir)}.")
    return manifest
