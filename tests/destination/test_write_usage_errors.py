"""Usage errors come before any write: an upsert key that is no field, a mode the resource does not support
(exit 2, one line, nothing sent); and `discover`'s capabilities are exactly what `write` accepts."""

import pytest

from insightly_connector.destination.write import check_mode, modes_of, resolve_upsert_key
from insightly_connector.errors import ConfigError
from insightly_connector.source.discover import capabilities
from insightly_connector.spec.loader import load_spec

from .conftest import cli

SPEC = load_spec()
STATIC = [resource for resource in SPEC.resources.values() if not resource.dynamic]


@pytest.mark.parametrize("resource", STATIC, ids=[resource.name for resource in STATIC])
def test_discover_capabilities_are_what_write_accepts(resource):
    said = capabilities(resource)
    for mode in ("create", "update", "upsert", "delete"):
        if said[mode]:
            check_mode(resource, mode)
            if mode == "upsert":
                assert resolve_upsert_key(resource, mode, None) == resource.upsert_key, \
                    f"{resource.name} says upsert but has no key to match on"
        else:
            with pytest.raises(ConfigError, match="does not support"):
                check_mode(resource, mode)
    assert set(modes_of(resource)) - set(resource.sub_writes) == \
        {mode for mode, able in said.items() if able and mode not in ("read", "incremental")}


def test_tasks_do_not_claim_an_upsert_they_cannot_do():
    assert capabilities(SPEC.resources["tasks"])["upsert"] is False
    with pytest.raises(ConfigError, match="tasks does not support upsert"):
        check_mode(SPEC.resources["tasks"], "upsert")


@pytest.mark.parametrize(("args", "message"), [
    (("--resource", "tasks", "--mode", "upsert"), b"tasks does not support upsert"),
    (("--resource", "emails", "--mode", "add_tag_typo"), b"does not support add_tag_typo"),
    (("--resource", "organisations", "--mode", "upsert", "--upsert-key", "NOPE"), b"--upsert-key: 'NOPE'"),
])
def test_usage_errors_send_no_write_and_exit_2(harness, credential_file, args, message):
    result = cli("write", "--credential", credential_file, *args, stdin=b'{"TITLE": "x"}\n')
    assert result.returncode == 2 and message in result.stderr, result.stderr
    assert b"Traceback" not in result.stderr
    assert harness.requests() == [], "a usage error is found before any request"


def test_discover_names_the_upsert_key_and_the_writes_under_a_record(client, spec):
    from insightly_connector.source.discover import discover

    entries = {entry.name: entry for entry in discover(client, spec, ["contacts", "tasks", "opportunities"]).entries}
    assert entries["contacts"].upsert_key == "EMAIL_ADDRESS" and entries["tasks"].upsert_key is None
    assert {"add_tag", "remove_tag", "add_link", "attach_file"} <= set(entries["contacts"].sub_writes)
    assert "change_state" in entries["opportunities"].sub_writes
    assert "change_state" not in entries["contacts"].sub_writes
    for entry in entries.values():
        for mode in entry.sub_writes:
            check_mode(spec.resources[entry.name], mode)


def test_an_upsert_key_named_like_a_custom_field_is_checked_against_the_account(harness, credential_file):
    result = cli("write", "--credential", credential_file, "--resource", "contacts", "--mode", "upsert",
                 "--upsert-key", "Hobbi__c", stdin=b'{"FIRST_NAME": "x"}\n')
    assert result.returncode == 2 and b"did you mean Hobby__c" in result.stderr, result.stderr
    assert [entry.path for entry in harness.requests()] == ["/CustomFields/Contacts"]
