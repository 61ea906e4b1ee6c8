"""Import the zip archive a customer downloads from X's settings, all-or-nothing.

Finds the archive's data folder (``data/`` in current archives; the root in older ones, or one
folder deeper when the customer re-zipped it), reads only the files we use, checks their
wrapper and JSON, and builds one :class:`AccountBundle`. Any problem raises
:class:`UploadRejected` before anything is returned, so there is never partial output.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from scraping.sources.base import ProgressCallback, report
from scraping.sources.errors import UploadRejected
from scraping.sources.records import AccountBundle
from scraping.sources.uploads import UploadSource
from scraping.sources.x_archive.parse import ArchiveFile, bundle_from_archive
from scraping.sources.x_archive.safezip import (
    DEFAULT_ARCHIVE_LIMITS,
    FRESH_ARCHIVE,
    ArchiveLimits,
    read_zip_members,
)
from scraping.sources.x_archive.ytd import parse_ytd_file

_DATA_FILE = re.compile(
    r"^(?P<dataset>account|profile|tweets|tweet|like|following|follower)(?:-part(?P<part>\d+))?\.js$"
)
# tweets.js is called tweet.js (``window.YTD.tweet``) in archives made before 2020.
_CANONICAL = {"tweet": "tweets"}
_WRAPPER_NAMES = {"tweets": ("tweets", "tweet")}


def parse_x_archive(
    source: UploadSource,
    *,
    limits: ArchiveLimits = DEFAULT_ARCHIVE_LIMITS,
    progress: ProgressCallback | None = None,
) -> AccountBundle:
    """One account's profile, posts, replies, quotes, reposts, likes, following and followers."""
    report(progress, 0, None, "Checking the archive")
    members = read_zip_members(source, limits=limits, wanted=select_data_files)
    datasets: dict[str, list[ArchiveFile]] = {}
    ordered = sorted((kind, name) for name in members if (kind := _classify(name)))
    for done, ((dataset, _part), name) in enumerate(ordered, 1):
        items = parse_ytd_file(members[name], filename=name, datasets=_WRAPPER_NAMES.get(dataset, (dataset,)))
        datasets.setdefault(dataset, []).append(ArchiveFile(name, items))
        report(progress, done, len(members), f"Read {name}")
    bundle = bundle_from_archive(datasets)
    report(progress, len(members), len(members), f"Read {len(bundle.history)} posts and likes")
    return bundle


def select_data_files(names: list[str]) -> list[str]:
    """The data files we read, from the folder holding account.js; refuses incomplete archives."""
    folder = _data_folder(names)
    chosen = {
        name: kind for name in names if PurePosixPath(name).parent == folder and (kind := _classify(name))
    }
    if not any(dataset == "tweets" for dataset, _part in chosen.values()):
        raise UploadRejected(
            f"The archive has no {folder / 'tweets.js'}, so it is not a complete X archive. {FRESH_ARCHIVE}"
        )
    return list(chosen)


def _data_folder(names: list[str]) -> PurePosixPath:
    accounts = [PurePosixPath(name) for name in names if PurePosixPath(name).name == "account.js"]
    if not accounts:
        raise UploadRejected(
            f"The archive has no data/account.js, so it is not a complete X archive. {FRESH_ARCHIVE}"
        )
    # Prefer a folder called "data" (where X puts it), then the shallowest one.
    best = min(accounts, key=lambda path: (path.parent.name != "data", len(path.parts)))
    return best.parent


def _classify(name: str) -> tuple[str, int] | None:
    """(dataset, part number) of an archive data file name, or None for files we do not read."""
    match = _DATA_FILE.match(PurePosixPath(name).name)
    if match is None:
        return None
    return _CANONICAL.get(match["dataset"], match["dataset"]), int(match["part"] or 0)
