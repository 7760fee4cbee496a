"""kill -9 at seeded random moments during read and write subprocesses, then resume: nothing lost,
nothing duplicated, no duplicate creates, no temporary files left behind, the key in no output."""

from __future__ import annotations

import pytest

from tests.attack import campaign
from tests.attack.conftest import report


@pytest.mark.parametrize("seed", [101])
def test_killed_read_resumes_exactly_once(seed, harness, attack_dir, attack_config):
    figures = campaign.Figures()
    problems = campaign.kill_read_case(harness, attack_dir, attack_config, seed, figures)
    assert not problems, report(problems)


@pytest.mark.parametrize("seed", [201])
def test_killed_write_resumes_exactly_once(seed, harness, attack_dir, attack_config):
    figures = campaign.Figures()
    problems = campaign.kill_write_case(harness, attack_dir, attack_config, seed, figures)
    assert not problems, report(problems)
