"""A leader ``Node`` on a real journal for sequencer tests, and its teardown (shared by the
sequencer pipeline, merge and snapshot-metrics tests)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from target_engine.config.loader import load_config_dict
from target_engine.journal import Journal
from target_engine.service.node import Node
from target_engine.service.options import RoleRequest, ServiceOptions
from target_engine.service.recovery import service_config
from target_engine.service.sequencer import Sequencer


def leader_node(path: Path, **opts: Any) -> Node:
    """A node leading epoch 1 on the journal at ``path`` (no background checkpoints)."""
    journal = Journal(path, engine_config_json="{}", checkpoint_interval_s=None)
    config = service_config(load_config_dict(None))
    node = Node(ServiceOptions(role=RoleRequest.LEADER, **opts), config, journal)
    node.become_leader()
    return node


def close_node(node: Node, seq: Sequencer) -> None:
    seq.close()
    node.leader_lock.close()
    node.read_conn.close()
    node.journal.close()
