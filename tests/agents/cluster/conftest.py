"""A real local Ray cluster for the session: a head and one more node, torn down afterwards."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from interns.agents.cluster.local import LocalCluster


@pytest.fixture(scope="session")
def ray_cluster() -> Iterator[LocalCluster]:
    """Two Ray nodes of 1 CPU each on this machine (Ray is in the dev extra; without it these tests skip)."""
    pytest.importorskip("ray", reason="Ray is not installed: pip install 'interns[ray]'")
    cluster = LocalCluster.start(nodes=2)
    try:
        yield cluster
    finally:
        cluster.stop()
