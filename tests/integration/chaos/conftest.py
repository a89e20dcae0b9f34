"""Docker fixtures: a real engine, a local busybox image imported with no registry, cleanup."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

IMAGE = "gameday-busybox:test"
LABEL = "gameday.test"


def _engine_reason() -> str | None:
    """None when a Docker engine answers; otherwise why not."""
    try:
        import docker
    except ImportError:
        return "the docker SDK is not installed"
    script = Path(__file__).resolve().parents[3] / "scripts" / "ensure-docker.sh"
    if script.exists():
        subprocess.run([str(script)], check=False, timeout=90, capture_output=True)
    try:
        client = docker.from_env(timeout=10)
        client.ping()
        client.close()
    except Exception as exc:  # any failure means: unreachable
        return f"Docker engine unreachable: {exc}"
    return None


def _busybox() -> str | None:
    for candidate in ("/bin/busybox", "/usr/bin/busybox"):
        if os.path.exists(candidate):
            return candidate
    return shutil.which("busybox")


@pytest.fixture(scope="session")
def docker_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    reason = _engine_reason()
    if reason is not None:
        pytest.skip(reason)
    import docker

    client = docker.from_env(timeout=60)
    try:
        client.images.get(IMAGE)
    except docker.errors.ImageNotFound:
        _import_busybox_image(tmp_path_factory.mktemp("busybox-rootfs"))
    yield client
    for container in client.containers.list(all=True, filters={"label": LABEL}):
        container.remove(force=True)
    for network in client.networks.list(filters={"label": LABEL}):
        network.remove()
    client.close()


def _import_busybox_image(root: Path) -> None:
    """Build IMAGE from Debian's busybox-static: busybox + applet links, tar | docker import."""
    busybox = _busybox()
    if busybox is None:
        pytest.skip("busybox-static is not installed (scripts/install-system-deps.sh)")
    bin_dir = root / "bin"
    bin_dir.mkdir()
    shutil.copy2(busybox, bin_dir / "busybox")
    applets = subprocess.run([str(bin_dir / "busybox"), "--list"], check=True, capture_output=True, text=True)
    for applet in applets.stdout.split():
        if applet != "busybox":
            (bin_dir / applet).symlink_to("busybox")
    (root / "tmp").mkdir()
    tar = subprocess.Popen(["tar", "-C", str(root), "-c", "."], stdout=subprocess.PIPE)
    imported = subprocess.run(
        ["docker", "import", "-", IMAGE], stdin=tar.stdout, capture_output=True, check=False
    )
    assert tar.stdout is not None
    tar.stdout.close()
    tar.wait(60)
    if imported.returncode != 0:
        raise RuntimeError(f"docker import failed: {imported.stderr.decode(errors='replace')}")


@pytest.fixture
def network(docker_client) -> Iterator[str]:
    """An internal (no external route) bridge network, removed afterwards."""
    net = docker_client.networks.create(
        f"gameday-test-{uuid.uuid4().hex[:8]}", internal=True, labels={LABEL: "1"}
    )
    yield net.name
    try:
        net.reload()
        for attached in net.containers:
            net.disconnect(attached, force=True)
        net.remove()
    except Exception:
        pass


@pytest.fixture
def container(docker_client, network) -> Iterator[str]:
    """A running busybox container on the test network; removed in teardown."""
    name = f"gameday-test-{uuid.uuid4().hex[:8]}"
    created = docker_client.containers.run(
        IMAGE,
        ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 0.1; done"],
        name=name,
        detach=True,
        labels={LABEL: "1"},
        network=network,
        init=False,
    )
    yield name
    try:
        created.remove(force=True)
    except Exception:
        pass
