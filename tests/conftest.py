"""Suite-wide scheduling for pytest-xdist: ``make test`` runs non-e2e tests with ``-n 2 --dist loadgroup``.

Tests of one group run one after another on one worker; every other test is spread over the workers
one by one. Groups exist for two reasons:

* shared state: the Docker tests share the ``gameday.test`` label, and the session fixture of each
  worker removes every container and network carrying it at teardown;
* real timing: leases, failover, alerts firing, stop conditions and full stacks must not compete
  with each other for the two cores (they still run beside lighter tests on the other worker).

Groups are assigned by path here, in the scheduler (``pytest_xdist_make_scheduler``), rather than
with ``xdist_group`` marks: xdist 3.8 passes a mark to the scheduler by appending ``@group`` to the
node id, which pytest >= 9.2 ignores (structured node ids; pytest-dev/pytest-xdist#1386), so marked
tests would silently be spread. A ``@group`` suffix, if a fixed xdist sends one, still wins.

The e2e game days run in a second, serial pytest invocation (``-m e2e``), never under xdist.
Without xdist (plain ``pytest``) this file does nothing.
"""

from __future__ import annotations

from typing import Any

import pytest

# Path prefix (relative to the rootdir, "/" separated) -> group. First match wins.
GROUPS: dict[str, str] = {
    "tests/integration/chaos/": "docker",
    "tests/integration/engine/test_engine_failover.py": "realtime",
    "tests/integration/engine/test_engine_leader_lock.py": "realtime",
    "tests/integration/engine/test_engine_halt_recheck.py": "realtime",
    "tests/integration/observability/test_observability_prometheus.py": "realtime",
    "tests/integration/harness/run/test_run_watch.py": "realtime",
    "tests/integration/harness/stack/test_stack_full.py": "realtime",
}


def group_of(nodeid: str) -> str | None:
    """The group of a test by its node id (``path::name``), or None: spread freely."""
    path = nodeid.split("::", 1)[0]
    for prefix, group in GROUPS.items():
        if path.startswith(prefix):
            return group
    return None


@pytest.hookimpl(tryfirst=True, optionalhook=True)  # optional: the hook exists only with xdist
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """``--dist loadgroup`` with the groups above; any other ``--dist`` is left to xdist."""
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadGroupScheduling

    class PathGroupScheduling(LoadGroupScheduling):  # type: ignore[misc]
        def _split_scope(self, nodeid: str) -> str:
            if nodeid.rfind("@") > nodeid.rfind("]"):
                return str(super()._split_scope(nodeid))
            group = group_of(nodeid)
            return nodeid if group is None else f"group:{group}"

    return PathGroupScheduling(config, log)
