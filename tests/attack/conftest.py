"""Fixtures for the attack campaign: one harness on 127.0.0.1 for the whole folder (always stopped), a
fast connector.yaml, the bad-input environment, the network guard and the 127.0.0.2 listener.

The campaign functions live in `campaign.py`, shared with `bench/soak.py` (`make soak`, full size)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from insightly_connector.harness import Harness
from tests.attack import campaign


@pytest.fixture(scope="session")
def attack_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("attack")


@pytest.fixture(scope="session")
def attack_config(attack_dir: Path) -> Path:
    return campaign.write_config(attack_dir / "config")


@pytest.fixture(scope="session")
def attack_harness() -> Iterator[Harness]:
    with Harness(seed=11, contacts=350, rate_limit_per_second=None) as harness:
        yield harness


@pytest.fixture
def harness(attack_harness: Harness) -> Harness:
    attack_harness.clear_faults()
    attack_harness.clear_churn()
    attack_harness.reset_quota()
    attack_harness.clear_requests()
    return attack_harness


@pytest.fixture(scope="session")
def bad_input_env(attack_harness: Harness, attack_dir: Path, attack_config: Path) -> campaign.BadInputEnv:
    credential = campaign.write_credential(attack_dir / "valid-credential.json", attack_harness)
    return campaign.BadInputEnv(attack_harness, attack_dir, attack_config, credential, campaign.Figures())


@pytest.fixture(scope="module")
def guard_and_listener() -> Iterator[tuple[campaign.NetGuard, campaign.Listener]]:
    with campaign.Listener() as listener, campaign.NetGuard() as guard:
        yield guard, listener


def report(problems: list[str], limit: int = 15) -> str:
    shown = "\n".join(problems[:limit])
    more = f"\n... and {len(problems) - limit} more" if len(problems) > limit else ""
    return f"{len(problems)} problem(s):\n{shown}{more}"
