"""The Python API as a platform engineer embeds it: a record iterator with state, typed options,
one way of reporting errors (typed exceptions, report attached) and messages in the API's words.
Over real HTTP to a harness on loopback."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from itertools import islice

import pytest

from insightly_connector.api import AllResourcesSkipped, AuthError, ConfigError, Connector, ConnectorError
from insightly_connector.harness import Harness

from .conftest import credential_dict

CONTACTS = 1200  # more than two pages of 500


@pytest.fixture(scope="module")
def harness() -> Iterator[Harness]:
    with Harness(rate_limit_per_second=None, contacts=CONTACTS) as running:
        yield running


@pytest.fixture()
def conn(harness) -> Iterator[Connector]:
    with Connector(credential_dict(harness)) as connector:
        yield connector


def test_records_stream_every_record_as_a_dict(conn):
    ids = [record["CONTACT_ID"] for record in conn.records("contacts")]
    assert len(ids) == CONTACTS == len(set(ids))


def test_state_advances_only_past_records_taken_so_a_second_call_resumes(conn):
    state: dict = {}
    first = [record["CONTACT_ID"] for record in islice(conn.records("contacts", state=state), 600)]
    position = state["resources"]["contacts"]["in_progress"]["position"]
    assert 0 < position < 600  # the second page was not taken whole: its checkpoint was not reached
    rest = [record["CONTACT_ID"] for record in conn.records("contacts", state=state)]
    assert len(set(first) | set(rest)) == CONTACTS
    assert len(first) + len(rest) - CONTACTS == 600 - (position + 1)  # only the untaken page is repeated
    assert state["resources"]["contacts"]["cursor"] and "in_progress" not in state["resources"]["contacts"]


def test_an_incremental_second_call_yields_only_what_changed(conn, harness):
    state: dict = {}
    assert sum(1 for _ in conn.records("contacts", state=state)) == CONTACTS
    harness.advance_clock(5)
    changed = next(iter(conn.records("contacts")))["CONTACT_ID"]
    harness.update("Contacts", changed, {"BACKGROUND": "changed through the admin API"})
    again = list(conn.records("contacts", state=state))
    assert [record["CONTACT_ID"] for record in again] == [changed]


def test_read_takes_typed_options_and_writes_to_a_given_stream(conn):
    out = io.BytesIO()
    report = conn.read(["pipelines"], stream=out, progress=False, limit=2)
    assert report.resources[0].records == 2 == len(out.getvalue().splitlines())
    assert json.loads(out.getvalue().splitlines()[0])["PIPELINE_ID"]
    with pytest.raises(TypeError):
        conn.read(["pipelines"], stream=out, emitter_option=True)  # a typo is a TypeError, not passed on


def test_a_refused_key_raises_the_same_typed_error_from_every_verb_with_the_report_attached(harness):
    wrong = credential_dict(harness, api_key="ffffffff-0000-0000-0000-000000000000")
    with Connector(wrong) as conn:
        assert conn.check(probe_resources=False).ok is False  # check answers: it is a question
        with pytest.raises(AuthError):
            conn.discover(["contacts"])
        with pytest.raises(AuthError) as read_error:
            conn.read(["contacts"], stream=io.BytesIO())
        assert read_error.value.report.resources[0].status == "failed"
        with pytest.raises(AuthError):
            list(conn.records("contacts"))


def test_messages_name_the_apis_parameters_not_command_line_flags(conn):
    for call in (lambda: conn.read(["no_such_thing"], stream=io.BytesIO()),
                 lambda: list(conn.records("no_such_thing")),
                 lambda: conn.read(["contacts"], limit=0, stream=io.BytesIO())):
        with pytest.raises(ConfigError) as caught:
            call()
        assert "--" not in str(caught.value)
    with pytest.raises(ConfigError) as caught:
        conn.read(["no_such_thing"], stream=io.BytesIO())
    assert str(caught.value).startswith("resources: unknown resource 'no_such_thing'")


def test_a_read_of_resources_none_of_which_is_on_the_plan_raises_all_skipped():
    with Harness(plan="professional", rate_limit_per_second=None, contacts=3) as harness, \
            Connector(credential_dict(harness)) as conn, pytest.raises(AllResourcesSkipped) as caught:
        conn.read(["products"], stream=io.BytesIO())
    assert isinstance(caught.value, ConnectorError) and caught.value.report.resources[0].status == "skipped"


def test_the_credential_comes_from_the_environment_when_none_is_given(harness, monkeypatch):
    monkeypatch.setenv("INSIGHTLY_API_KEY", harness.api_key)
    monkeypatch.setenv("INSIGHTLY_BASE_URL", harness.base_url)
    with Connector() as conn:
        assert conn.check(probe_resources=False).ok


def test_write_errors_name_the_apis_parameters_too(conn):
    with pytest.raises(ConfigError) as caught:
        conn.write("contacts", "merge", [{"FIRST_NAME": "x"}])
    assert str(caught.value).startswith("mode: ") and "--" not in str(caught.value)
    with pytest.raises(ConfigError) as caught:
        conn.read(["pipelines"], output_format="xml", stream=io.BytesIO())  # type: ignore[arg-type]
    assert str(caught.value).startswith("output_format: ")


def test_records_keep_a_state_file_when_given_its_path(conn, tmp_path):
    path = tmp_path / "state.json"
    assert sum(1 for _ in conn.records("contacts", state=path)) == CONTACTS
    assert json.loads(path.read_text())["resources"]["contacts"]["cursor"]
    assert list(conn.records("contacts", state=path)) == []  # incremental: nothing changed since


@pytest.mark.parametrize("option", ["read_only", "unknown_fields", "duplicates"])
def test_a_write_policy_outside_its_choices_is_a_config_error_before_any_request(conn, harness, option):
    requests_before = len(harness.requests())
    with pytest.raises(ConfigError) as caught:
        conn.write("contacts", "create", [{"FIRST_NAME": "x"}], **{option: "ignore"})  # type: ignore[arg-type]
    assert str(caught.value).startswith(f"{option}: 'ignore' is not one of ")
    assert len(harness.requests()) == requests_before


def test_the_observer_is_told_of_each_attempt_as_a_request_event_importable_from_the_api(harness):
    from insightly_connector.api import RequestEvent

    events: list[RequestEvent] = []
    with Connector(credential_dict(harness), observer=events.append) as conn:
        assert conn.check(probe_resources=False).ok
    assert [type(event) for event in events] == [RequestEvent]
    assert events[0].status == 200 and events[0].method == "GET"
