"""Hostile base URLs and pods (in the credential's base_url, in --pod-base-url, in pod): refused before
any connection, nothing reaches the listener on 127.0.0.2, the key goes to no host but the validated
one, and appears in no output. A guard refuses (and records) every non-loopback lookup or connection,
so nothing here ever leaves the machine.

Every value runs in every position through the Python API (the spec loaded once); a sample runs
through the in-process CLI, and the backslash confusion through a fresh process too."""

from __future__ import annotations

import random

import pytest

from insightly_connector.spec.loader import load_spec
from tests.attack import campaign
from tests.attack.conftest import report


@pytest.fixture(scope="module")
def hostile(bad_input_env, guard_and_listener):
    guard, listener = guard_and_listener
    urls = campaign.hostile_urls(bad_input_env.harness.port, listener.port, bad_input_env.harness.api_key)
    pods = [campaign.Hostile(pod, "pod") for pod in campaign.hostile_pods(listener.port)]
    return guard, listener, urls, pods


def test_there_are_at_least_100_hostile_urls_and_pods(hostile):
    _, _, urls, pods = hostile
    assert len(urls) >= 100 and len(pods) >= 25


@pytest.mark.parametrize("where", ["base_url", "pod_base_url", "pod"])
def test_every_hostile_value_is_refused_before_any_connection(where, hostile, bad_input_env, attack_config):
    guard, listener, urls, pods = hostile
    spec = load_spec(attack_config)
    items = pods if where == "pod" else [campaign.Hostile(u.value, where, u.must_refuse) for u in urls]
    _, items = campaign.key_in_url(items, bad_input_env.harness.api_key)  # see the next test
    problems = []
    for item in items:
        problems += campaign.check_hostile_api(bad_input_env, guard, listener, item, spec)
    assert not listener.hits
    assert not problems, report(problems)


def test_a_refusal_never_carries_a_key_pasted_into_the_url(hostile, bad_input_env, attack_config):
    """A URL with the key as its user name: the ConfigError a Python caller gets (and logs) must not
    hold the key (ARCHITECTURE: "All messages are built without the key")."""
    guard, listener, urls, _ = hostile
    spec = load_spec(attack_config)
    carrying, _ = campaign.key_in_url(urls, bad_input_env.harness.api_key)
    assert carrying
    problems = []
    for item in carrying:
        problems += campaign.check_hostile_api(bad_input_env, guard, listener, item, spec)
    assert not problems, report(problems)


def test_hostile_values_through_the_command_line(hostile, bad_input_env):
    guard, listener, urls, pods = hostile
    rng = random.Random(8)
    sample = urls[:14] + rng.sample(urls[14:], 8)  # every backslash case, then a seeded sample
    items = ([campaign.Hostile(u.value, "base_url", u.must_refuse) for u in sample]
             + [campaign.Hostile(u.value, "pod_base_url", u.must_refuse) for u in urls[:3]]
             + rng.sample(pods, 5))
    problems = []
    for item in items:
        problems += campaign.check_hostile(bad_input_env, guard, listener, item)
    assert not listener.hits
    assert not problems, report(problems)


def test_a_custom_config_cannot_widen_where_the_key_goes(hostile, bad_input_env, attack_dir):
    guard, listener, _, _ = hostile
    problems = []
    for name, config in campaign.widened_allowed_hosts(attack_dir):
        problems += campaign.check_widened(bad_input_env, guard, listener, name, config)
    assert not problems, report(problems)


def test_backslash_confusion_through_the_real_entry_point(hostile, bad_input_env):
    _, listener, _, _ = hostile
    problems = campaign.hostile_subprocess_sample(bad_input_env, listener)
    assert not listener.hits
    assert not problems, report(problems)


def test_records_pass_through_unaltered_when_the_key_is_also_data(attack_dir):
    problems = campaign.records_unaltered(attack_dir, campaign.Figures())
    assert not problems, report(problems)
