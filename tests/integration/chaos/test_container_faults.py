"""chaos.container against a real Docker engine and a locally imported busybox image."""

from __future__ import annotations

import time

import pytest

from chaos.container import (
    ContainerFaults,
    ContainerNotFound,
    ContainerStateError,
    ContainerStatus,
    NetworkNotFound,
)

pytestmark = pytest.mark.docker


@pytest.fixture
def faults(docker_client):
    with ContainerFaults(docker_client) as f:
        yield f


def wait_status(faults, name, status, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if faults.status(name) is status:
            return True
        time.sleep(0.02)
    return False


def test_kill_stops_the_container(faults, container):
    assert faults.status(container) is ContainerStatus.RUNNING
    faults.kill(container)
    assert wait_status(faults, container, ContainerStatus.EXITED)


def test_pause_and_unpause(faults, container):
    faults.pause(container)
    assert faults.status(container) is ContainerStatus.PAUSED
    with pytest.raises(ContainerStateError):
        faults.pause(container)
    faults.unpause(container)
    assert faults.status(container) is ContainerStatus.RUNNING


def test_stop_then_start(faults, container):
    faults.stop(container, grace=5)
    assert faults.status(container) is ContainerStatus.EXITED
    with pytest.raises(ContainerStateError):
        faults.kill(container)
    faults.start(container)
    assert wait_status(faults, container, ContainerStatus.RUNNING)


def test_restart_gives_a_new_main_process(faults, container, docker_client):
    before = docker_client.containers.get(container).attrs["State"]["StartedAt"]
    faults.restart(container, grace=5)
    after = docker_client.containers.get(container).attrs["State"]
    assert after["Running"] is True
    assert after["StartedAt"] != before


def test_network_disconnect_and_connect(faults, container, network):
    assert network in faults.networks_of(container)
    attachment = faults.disconnect(container, network)
    assert attachment.network == network
    assert network not in faults.networks_of(container)
    with pytest.raises(ContainerStateError):
        faults.disconnect(container, network)
    faults.connect(container, network, attachment.aliases)
    assert network in faults.networks_of(container)


def test_missing_container_and_network_are_clear_errors(faults, container):
    with pytest.raises(ContainerNotFound) as info:
        faults.kill("gameday-no-such-container")
    assert info.value.code == "CONTAINER_NOT_FOUND"
    with pytest.raises(NetworkNotFound):
        faults.disconnect(container, "gameday-no-such-network")
    with pytest.raises(ContainerNotFound):
        faults.pause("")
