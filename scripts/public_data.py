"""Fetch the public data the demo and the fidelity bench use, from the package registry only.

The VADER human-rated tweets are in the vaderSentiment 3.3.2 *source* archive (not in its wheel),
inside a nested tarball. We download that sdist with pip, check its hash, and unpack the one folder
into ``~/.cache/simnet/data``. Idempotent: does nothing when the file is already there.
"""

from __future__ import annotations

import hashlib
import io
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from personas.builders.public_texts import TWEETS_FILE, data_dir

SDIST = "vaderSentiment==3.3.2"
SDIST_SHA256 = "5d7c06e027fc8b99238edb0d53d970cf97066ef97654009890b83703849632f9"
INNER = "vaderSentiment-3.3.2/additional_resources/hutto_ICWSM_2014.tar.gz"


def fetch(target: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", SDIST, "--no-binary", ":all:", "--no-deps", "-q", "-d", tmp],
            check=True,
        )
        archive = next(Path(tmp).glob("vaderSentiment-*.tar.gz"))
        digest = hashlib.sha256(archive.read_bytes()).hexdigest()
        if digest != SDIST_SHA256:
            raise SystemExit(f"{archive.name}: sha256 {digest} is not the pinned {SDIST_SHA256}")
        with tarfile.open(archive) as outer:
            inner = outer.extractfile(INNER).read()
        with tarfile.open(fileobj=io.BytesIO(inner)) as folder:
            folder.extractall(target, filter="data")


def main() -> None:
    target = data_dir()
    if (target / TWEETS_FILE).exists():
        return
    target.mkdir(parents=True, exist_ok=True)
    fetch(target)
    print(f"public data in {target}")


if __name__ == "__main__":
    main()
