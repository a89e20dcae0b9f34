"""The container fault kind through the nemesis registry, against a real Docker engine."""

from __future__ import annotations

import time

import pytest

from chaos import nemesis
from chaos.container import ContainerFaults, ContainerStatus
from chaos.nemesis import FaultSpecError, InjectError, NemesisContext

pytestmark = pytest.mark.docker


@pytest.fixture
def ctx(docker_client):
    import docker

    return NemesisContext(docker_client_factory=lambda: docker.from_env(timeout=30))


@pytest.fixture
def faults(docker_client):
    return ContainerFaults(docker_client)


def wait_status(faults, name, status, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if faults.status(name) is status:
            return True
        time.sleep(0.02)
    return False


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"container": "c"}, "action"),
        ({"action": "pause"}, "container"),
        ({"action": "disconnect", "container": "c"}, "network"),
        ({"action": "pause", "container": "c", "network": "n"}, "network"),
        ({"action": "pause", "container": "c", "signal": "SIGTERM"}, "signal"),
        ({"action": "kill", "container": "c", "signal": "rm -rf"}, "signal"),
        ({"action": "stop", "container": "c", "grace": -1}, "grace"),
    ],
)
def test_invalid_params_are_refused(params, field):
    with pytest.raises(FaultSpecError) as info:
        nemesis.validate("container", params)
    assert info.value.field == field


def test_pause_inject_and_heal(ctx, faults, container):
    handle = nemesis.inject("container", {"action": "pause", "container": container}, ctx)
    assert faults.status(container) is ContainerStatus.PAUSED
    nemesis.heal(handle, ctx)
    assert faults.status(container) is ContainerStatus.RUNNING
    nemesis.heal(handle, ctx)  # idempotent
    assert faults.status(container) is ContainerStatus.RUNNING


def test_kill_heals_by_starting_again(ctx, faults, container):
    handle = nemesis.inject("container", {"action": "kill", "container": container}, ctx)
    assert wait_status(faults, container, ContainerStatus.EXITED)
    report = nemesis.heal_from_records([nemesis.handle_to_dict(handle)], ctx)
    assert report.ok
    assert wait_status(faults, container, ContainerStatus.RUNNING)


def test_disconnect_heals_by_reconnecting(ctx, faults, container, network):
    handle = nemesis.inject(
        "container", {"action": "disconnect", "container": container, "network": network}, ctx
    )
    assert network not in faults.networks_of(container)
    nemesis.heal(handle, ctx)
    assert network in faults.networks_of(container)


def test_missing_container_is_an_inject_error(ctx):
    with pytest.raises(InjectError, match="gameday-no-such"):
        nemesis.inject("container", {"action": "pause", "container": "gameday-no-such"}, ctx)
