"""Property: stopping after any batch and resuming from its checkpoint gives exactly the records of
one uninterrupted import (same items, same order, no duplicates), for every network connector and
every possible stopping point. Checkpoints go through JSON, as the job stores them.
"""

from __future__ import annotations

import json
from itertools import islice

import pytest

from scraping.sources.bluesky import iter_bluesky_batches
from scraping.sources.mastodon import iter_mastodon_batches
from scraping.sources.x_api import iter_x_api_batches
from tests.scraping.sources.platforms import serve_bluesky_account, serve_mastodon_account, serve_x_account

CONNECTORS = {
    "x_api": (serve_x_account, lambda **kw: iter_x_api_batches("jack", bearer_token="t", **kw)),
    "bluesky": (serve_bluesky_account, lambda **kw: iter_bluesky_batches("alice.bsky.social", **kw)),
    "mastodon": (serve_mastodon_account, lambda **kw: iter_mastodon_batches("alice@social.example", **kw)),
}


def records(batches):
    return [
        (batch.bundle.account, item)
        for batch in batches
        for item in [*batch.bundle.history, *batch.bundle.following, *batch.bundle.notes]
    ]


@pytest.mark.parametrize("name", sorted(CONNECTORS))
def test_resuming_after_every_batch_matches_an_uninterrupted_import(name, loopback, clock):
    serve, start = CONNECTORS[name]
    settings = serve(loopback, clock.now)

    def batches(checkpoint=None):
        return start(settings=settings, checkpoint=checkpoint, sleep=clock.sleep, clock=clock)

    uninterrupted = list(batches())
    expected = records(uninterrupted)
    assert len(uninterrupted) >= 5
    assert len({item for _account, item in expected}) == len(expected)

    for stop_after in range(1, len(uninterrupted) + 1):
        stream = batches()
        before = list(islice(stream, stop_after))
        stream.close()  # the worker died after storing batch ``stop_after``
        stored_checkpoint = json.loads(json.dumps(before[-1].checkpoint))
        after = list(batches(stored_checkpoint))

        assert records(before + after) == expected, f"stopped after batch {stop_after}"
        assert (before + after)[-1].checkpoint == uninterrupted[-1].checkpoint
