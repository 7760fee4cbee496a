"""Faults of every kind the harness plays, on reads and on writes, with the harness as ground truth:
every record read exactly once (a failed run may be resumed: nothing lost, nothing duplicated); every
input record confirmed exactly once with the id of the record it created, or in the rejects file; no
duplicate creates; the key in no output."""

from __future__ import annotations

import pytest

from tests.attack import campaign
from tests.attack.conftest import report

KINDS = [*campaign.FAULT_KINDS, "random_mix"]


@pytest.mark.parametrize("kind", KINDS)
def test_read_survives_fault(kind, harness, attack_dir, attack_config):
    figures = campaign.Figures()
    problems = campaign.read_fault_case(harness, attack_dir, attack_config, kind, seed=KINDS.index(kind) + 1,
                                        figures=figures)
    assert not problems, report(problems)
    assert sum(figures.faults.values()) >= 1, f"no {kind} fault was played"


@pytest.mark.parametrize("kind", KINDS)
def test_write_survives_fault(kind, harness, attack_dir, attack_config):
    figures = campaign.Figures()
    problems = campaign.write_fault_case(harness, attack_dir, attack_config, kind, seed=KINDS.index(kind) + 1,
                                         figures=figures)
    assert not problems, report(problems)
    assert sum(figures.faults.values()) >= 1, f"no {kind} fault was played"


@pytest.mark.parametrize("kind", ["reset", "status_503"])
def test_lost_create_is_never_confirmed_with_an_existing_twins_id(kind, harness, attack_dir, attack_config):
    """Issue 8 point 2: a POST reset before processing, an identical team already there."""
    figures = campaign.Figures()
    problems = campaign.write_fault_case(harness, attack_dir, attack_config, kind, seed=3, figures=figures,
                                         resource="teams", records=1, twin=True)
    assert not problems, report(problems)


@pytest.mark.parametrize("verb", ["read", "write"])
def test_429s_are_waited_out_not_counted_as_attempts(verb, harness, attack_dir, attack_config):
    """Issue 8 point 3: more 429s in a row than max_attempts; the run still finishes in one go."""
    figures = campaign.Figures()
    problems = campaign.rate_limited_case(harness, attack_dir, attack_config, verb, figures)
    assert not problems, report(problems)
    assert figures.faults["status_429"] >= 7
