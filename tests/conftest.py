"""Suite-wide checks of how the tests are distributed over pytest-xdist workers (`make test` runs `-n`).

Conventions under xdist: every worker is its own process with its own session, so session-scoped fixtures
(the `server` of tests/api, the PostgreSQL database of tests/contract) exist once per worker; a resource that
outlives a test gets a name or port no other worker can pick (`tests.serving.start_server` lets the kernel
choose the port; databases, NATS streams and subject prefixes get random suffixes), and no test may stop
or restart the machine's PostgreSQL or NATS: one that needs that starts a server of its own
(tests/integration/test_store_outage.py). Tests that share an expensive module- or session-scoped resource
keep to one worker with `pytest.mark.xdist_group(name)`, as the modules with a server of their own do with
`pytestmark = pytest.mark.xdist_group(__name__)`.
"""

from __future__ import annotations

import pytest
from hypothesis import settings

# Hypothesis fails an example that runs longer than its deadline (200 ms by default): a timing assertion, which
# a loaded machine (the suite under xdist beside a benchmark) trips on work that is correct. The suite makes none.
settings.register_profile("twinhub", deadline=None)
settings.load_profile("twinhub")


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Fail the run, rather than distribute silently, when `--dist=loadgroup` stops grouping: pytest-xdist
    groups a test by appending `@<group>` to its node id, which pytest 9.2 made ineffective
    (pytest-dev/pytest-xdist#1386)."""
    if not getattr(config.option, "loadgroup", False):  # set in xdist workers under --dist=loadgroup
        return
    ungrouped = [item.nodeid for item in items if item.get_closest_marker("xdist_group") and "@" not in item.nodeid]
    if ungrouped:
        raise pytest.UsageError(f"pytest-xdist did not group {len(ungrouped)} tests marked xdist_group (e.g. "
                                f"{ungrouped[0]}): this pytest and pytest-xdist do not work together here")
