"""Generated bad inputs (Hypothesis): credential files and fields, state files, write input, CLI
arguments and connector YAML. Every one: no traceback, no "internal error", exit 2 with exactly one line
on stderr, nothing sent. (Write input is the exception: a bad line is a reject, exit 3.) `make soak`
runs the same generators at full size."""

from __future__ import annotations

from hypothesis import HealthCheck, Phase, given, settings

from tests.attack import campaign
from tests.attack.conftest import report

STRATEGIES = campaign.strategies()
SMALL = settings(max_examples=20, deadline=None, database=None, derandomize=True,
                 phases=[Phase.explicit, Phase.generate],
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                        HealthCheck.function_scoped_fixture])


@SMALL
@given(case=STRATEGIES["credential"])
def test_bad_credentials_are_one_line_usage_errors(bad_input_env, case):
    problems = campaign.check_bad_credential(bad_input_env, case)
    assert not problems, report(problems)


@SMALL
@given(case=STRATEGIES["state"])
def test_bad_state_files_are_one_line_usage_errors(bad_input_env, case):
    problems = campaign.check_bad_state(bad_input_env, case)
    assert not problems, report(problems)


@SMALL
@given(lines=STRATEGIES["write_input"])
def test_generated_write_input_never_crashes_and_every_line_is_accounted_for(bad_input_env, lines):
    problems = campaign.check_write_input(bad_input_env, lines)
    assert not problems, report(problems)


@SMALL
@given(case=STRATEGIES["cli"])
def test_bad_arguments_are_one_line_usage_errors(bad_input_env, case):
    problems = campaign.check_bad_cli(bad_input_env, case)
    assert not problems, report(problems)


@SMALL
@given(case=STRATEGIES["yaml"])
def test_bad_connector_yaml_is_a_one_line_usage_error(bad_input_env, case):
    problems = campaign.check_bad_yaml(bad_input_env, case)
    assert not problems, report(problems)


def test_bad_inputs_through_the_real_entry_point(bad_input_env):
    problems = campaign.subprocess_sample(bad_input_env)
    assert not problems, report(problems)
