"""GcPolicy freezes the long-lived state at start-up and then once per ``every`` commands."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from target_engine.service.gcpolicy import GcPolicy


@pytest.fixture(autouse=True)
def _unfreeze() -> Iterator[None]:
    yield
    gc.unfreeze()


def test_freezes_at_startup_and_every_n_commands() -> None:
    gc.unfreeze()
    policy = GcPolicy(every=100)
    policy.startup(seq=5)
    assert gc.get_freeze_count() > 0
    gc.unfreeze()
    state = [object() for _ in range(10)]  # noqa: F841  (alive: must be frozen at the next freeze)
    policy.after_commit(seq=104)  # 99 commands since start-up: not yet
    assert gc.get_freeze_count() == 0
    policy.after_commit(seq=105)
    frozen = gc.get_freeze_count()
    assert frozen > 0
    gc.unfreeze()
    policy.after_commit(seq=150)  # 45 since the last freeze
    assert gc.get_freeze_count() == 0
