"""Per-post arrays of one index generation: which post each section belongs to, post dates, each post's first
section. Computing them takes a pass over every section (np.unique: 0.14 s on 750,000 sections), so the indexer
writes them at commit time, next to the generation's table of contents, and a query memory-maps them."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from . import OWN_POSTS_FILE, POSTS_FILE_PREFIX

POSTS_FILE = POSTS_FILE_PREFIX + "{generation}.npy"


@dataclass(frozen=True)
class PostArrays:
    """By docnum: the section's post number (posts numbered in the order of their keys) and date order; by post
    number: its date (from a live section) and its first live section (holding its post record)."""

    numbers: Any
    dates: Any
    post_dates: Any
    first_sections: Any

    @property
    def count(self) -> int:
        """Posts numbered (live or not)."""
        return len(self.post_dates)

    def fits(self, sections: int) -> bool:
        """Whether the arrays describe an index of this many sections (docnums, deleted ones included)."""
        return len(self.numbers) == sections

    @classmethod
    def compute(cls, segments: list[Any]) -> PostArrays:
        """The arrays of an open index's segments (segments.SegmentColumns, or SegmentData that holds them)."""
        keys = np.concatenate([s.post_keys for s in segments] or [np.zeros(0, np.int64)])
        dates = np.concatenate([s.dates for s in segments] or [np.zeros(0, np.int64)])
        unique_keys, numbers = np.unique(keys, return_inverse=True)  # posts numbered 0..count-1, by key
        live = np.flatnonzero(np.concatenate([s.live for s in segments] or [np.zeros(0, bool)]))
        post_dates = np.zeros(len(unique_keys), np.int64)  # from live sections: an updated post's deleted ones
        post_dates[numbers[live]] = dates[live]  # may have another date
        posts, firsts = np.unique(numbers[live], return_index=True)
        first_sections = np.zeros(len(unique_keys), np.int64)
        first_sections[posts] = live[firsts]
        return cls(numbers.astype(np.int64), dates, post_dates, first_sections)

    def save(self, index_dir: Path, generation: int) -> None:
        """Write the arrays for a generation (atomically) and remove those of other generations."""
        packed = np.concatenate([[len(self.numbers), self.count], self.numbers, self.dates, self.post_dates,
                                 self.first_sections]).astype(np.int64)
        target = index_dir / POSTS_FILE.format(generation=generation)
        temporary = target.with_name(target.name + ".tmp")
        with open(temporary, "wb") as file:
            np.save(file, packed)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, target)
        for name in os.listdir(index_dir):
            if OWN_POSTS_FILE.match(name) and name != target.name:
                (index_dir / name).unlink(missing_ok=True)

    @classmethod
    def load(cls, index_dir: Path, generation: int) -> PostArrays | None:
        """The arrays written for a generation, memory-mapped; None when there are none (or they are damaged)."""
        try:
            # a plain array over the map: numpy's memmap subclass costs a few µs on every operation on it
            packed = np.load(index_dir / POSTS_FILE.format(generation=generation), mmap_mode="r").view(np.ndarray)
            sections, posts = int(packed[0]), int(packed[1])
            if packed.shape != (2 + 2 * sections + 2 * posts,):
                return None
        except (OSError, ValueError, IndexError):
            return None
        at = np.cumsum([2, sections, sections, posts, posts])
        return cls(packed[at[0] : at[1]], packed[at[1] : at[2]], packed[at[2] : at[3]], packed[at[3] : at[4]])
