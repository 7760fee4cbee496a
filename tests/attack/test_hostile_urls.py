"""Hostile base URLs and pods (in the credential's base_url, in --pod-base-url, in pod): refused before
any connection, nothing reaches the listener on 127.0.0.2, the key goes to no host but the validated
one, and appears in no output. A guard refuses (and records) every non-loopback lookup or connection,
so nothing here ever leaves the machine."""

from __future__ import annotations

import random

from tests.attack import campaign
from tests.attack.conftest import report


def _urls(bad_input_env, listener):
    return campaign.hostile_urls(bad_input_env.harness.port, listener.port, bad_input_env.harness.api_key)


def test_there_are_at_least_100_hostile_urls_and_pods(bad_input_env, guard_and_listener):
    _, listener = guard_and_listener
    assert len(_urls(bad_input_env, listener)) + len(campaign.hostile_pods(listener.port)) >= 100


def test_hostile_base_urls_in_the_credential(bad_input_env, guard_and_listener):
    guard, listener = guard_and_listener
    problems = []
    for item in _urls(bad_input_env, listener):
        problems += campaign.check_hostile(bad_input_env, guard, listener, item)
    assert not listener.hits
    assert not problems, report(problems)


def test_hostile_pod_base_urls(bad_input_env, guard_and_listener):
    guard, listener = guard_and_listener
    urls = _urls(bad_input_env, listener)
    sample = urls[:14] + random.Random(8).sample(urls[14:], 26)  # every backslash case, then a seeded sample
    problems = []
    for item in sample:
        problems += campaign.check_hostile(bad_input_env, guard, listener,
                                           campaign.Hostile(item.value, "pod_base_url", item.must_refuse))
    assert not listener.hits
    assert not problems, report(problems)


def test_hostile_pods(bad_input_env, guard_and_listener):
    guard, listener = guard_and_listener
    problems = []
    for pod in campaign.hostile_pods(listener.port):
        problems += campaign.check_hostile(bad_input_env, guard, listener, campaign.Hostile(pod, "pod"))
    assert not listener.hits
    assert not problems, report(problems)


def test_a_custom_config_cannot_widen_where_the_key_goes(bad_input_env, guard_and_listener, attack_dir):
    guard, listener = guard_and_listener
    problems = []
    for name, config in campaign.widened_allowed_hosts(attack_dir):
        problems += campaign.check_widened(bad_input_env, guard, listener, name, config)
    assert not problems, report(problems)


def test_backslash_confusion_through_the_real_entry_point(bad_input_env, guard_and_listener):
    _, listener = guard_and_listener
    problems = campaign.hostile_subprocess_sample(bad_input_env, listener)
    assert not problems, report(problems)


def test_records_pass_through_unaltered_when_the_key_is_also_data(attack_dir):
    problems = campaign.records_unaltered(attack_dir, campaign.Figures())
    assert not problems, report(problems)
