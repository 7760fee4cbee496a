"""Meltano Hub plugin definitions for tap-insightly and target-insightly (meltano/).

The format is Meltano Hub's (meltano/hub schemas/plugin_definitions/{extractors,loaders}.schema.json with
schemas/common/{common,base_setting,extractors_specific,loaders_specific}.schema.json). The settings are kept in
step with the credential form, schemas/credential.schema.json: every field a user fills in has a setting,
`sensitive` exactly where the form says `secret`.

The executables `tap-insightly` and `target-insightly` are added to [project.scripts] by the Singer adapters;
until then test_executable_is_a_declared_console_script fails.
"""

from __future__ import annotations

import json

import pytest
import yaml

from ._project import REPO_ROOT, console_scripts

PLUGINS = {
    "tap-insightly": REPO_ROOT / "meltano" / "extractors" / "tap-insightly" / "insightly-connector.yml",
    "target-insightly": REPO_ROOT / "meltano" / "loaders" / "target-insightly" / "insightly-connector.yml",
}
# meltano/hub schemas/common/base_setting.schema.json
SETTING_KEYS = {"name", "aliases", "label", "value", "placeholder", "kind", "description", "tooltip", "documentation",
                "env", "value_processor", "value_post_processor", "oauth", "options", "docs", "hidden", "sensitive"}
KINDS = {"oauth", "hidden", "password", "date_iso8601", "file", "email", "integer", "options", "object", "array",
         "boolean", "string", "decimal"}
# meltano/hub schemas/common/extractors_specific.schema.json, loaders_specific.schema.json
CAPABILITIES = {
    "tap-insightly": {"properties", "catalog", "discover", "state", "about", "stream-maps", "schema-flattening",
                      "activate-version", "batch", "test", "log-based", "structured-logging"},
    "target-insightly": {"about", "stream-maps", "activate-version", "batch", "soft-delete", "hard-delete",
                         "datatype-failsafe", "schema-flattening", "target-schema", "validate-records"},
}
# meltano/hub schemas/plugin_definitions/hub_metadata.schema.json
MAINTENANCE = {"active", "beta", "development", "inactive", "unknown"}
QUALITY = {"gold", "silver", "bronze", "unknown"}
# Settings that are not credential fields.
EXTRA_SETTINGS = {
    "tap-insightly": {"start_date"},
    "target-insightly": {"mode", "upsert_key", "streams", "journal_dir", "rejects_dir"},
}


def _plugin(name: str) -> dict:
    return yaml.safe_load(PLUGINS[name].read_text(encoding="utf-8"))


def _settings(name: str) -> dict[str, dict]:
    return {s["name"]: s for s in _plugin(name)["settings"]}


def _form() -> dict:
    return json.loads((REPO_ROOT / "schemas" / "credential.schema.json").read_text(encoding="utf-8"))


def _user_fields() -> dict[str, dict]:
    """Form fields a user (or Meltano's config) supplies: all but the constants the platform sets."""
    return {k: v for k, v in _form()["properties"].items() if "const" not in v}


@pytest.mark.parametrize("plugin", sorted(PLUGINS))
def test_hub_definition_shape(plugin):
    definition = _plugin(plugin)
    for key in ("name", "namespace", "variant", "pip_url", "executable", "label", "description", "settings",
                "capabilities", "quality", "maintenance_status"):
        assert key in definition, key
    assert definition["name"] == plugin == PLUGINS[plugin].parent.name
    assert definition["variant"] == PLUGINS[plugin].stem
    assert definition["namespace"] == plugin.replace("-", "_")
    unknown = set(definition["capabilities"]) - CAPABILITIES[plugin]
    assert not unknown, unknown
    assert definition["quality"] in QUALITY and definition["maintenance_status"] in MAINTENANCE
    names = [s["name"] for s in definition["settings"]]
    assert len(names) == len(set(names)), "duplicate setting names"
    for setting in definition["settings"]:
        assert set(setting) <= SETTING_KEYS, (setting["name"], set(setting) - SETTING_KEYS)
        assert setting.get("kind", "string") in KINDS, setting
        assert setting.get("label") and setting.get("description"), setting["name"]
        if setting.get("kind") == "options":
            assert setting["options"] and all({"label", "value"} <= set(o) for o in setting["options"]), setting
    for group in definition["settings_group_validation"]:
        assert set(group) <= set(names), group


def test_tap_capabilities_are_what_meltano_needs_for_incremental_selected_syncs():
    assert {"catalog", "discover", "state", "about"} <= set(_plugin("tap-insightly")["capabilities"])
    assert "properties" not in _plugin("tap-insightly")["capabilities"]  # catalog or properties, never both


@pytest.mark.parametrize("plugin", sorted(PLUGINS))
def test_every_credential_field_has_a_matching_setting(plugin):
    settings = _settings(plugin)
    fields = _user_fields()
    assert set(fields) <= set(settings), f"form fields without a setting: {set(fields) - set(settings)}"
    assert set(settings) - set(fields) == EXTRA_SETTINGS[plugin]
    for name, field in fields.items():
        setting = settings[name]
        assert bool(setting.get("sensitive")) == bool(field.get("secret")), name
        assert (setting.get("kind") == "password") == bool(field.get("secret")), name
        assert bool(setting.get("hidden")) == bool(field.get("x-hidden")), name
        allowed = field.get("enum") or field.get("x-nexla", {}).get("allowed_values")
        if allowed:
            assert setting["kind"] == "options", name
            assert [o["value"] for o in setting["options"]] == allowed, name
        elif field.get("type") == "number":
            assert setting["kind"] == "decimal", name
        elif field.get("type") == "integer":
            assert setting["kind"] == "integer", name
        if "default" in field:
            assert setting.get("value") == field["default"], name
    required = set(_form()["required"]) - {k for k, v in fields.items() if "default" in v}
    required_without_default = {n for n in required if "value" not in settings[n]}
    assert [sorted(g) for g in _plugin(plugin)["settings_group_validation"]] == [sorted(required_without_default)]


def test_tap_and_target_share_the_credential_settings():
    tap, target = _settings("tap-insightly"), _settings("target-insightly")
    for name in _user_fields():
        same = {k: v for k, v in tap[name].items() if k != "description"}
        assert same == {k: v for k, v in target[name].items() if k != "description"}, name


def test_source_and_target_options():
    tap, target = _settings("tap-insightly"), _settings("target-insightly")
    assert tap["start_date"]["kind"] == "date_iso8601"
    assert [o["value"] for o in target["mode"]["options"]] == ["create", "update", "upsert"]
    assert target["mode"]["value"] == "create"
    for name in ("upsert_key", "journal_dir", "rejects_dir"):
        assert target[name]["kind"] == "string"
    assert target["streams"]["kind"] == "object"


@pytest.mark.parametrize("plugin", sorted(PLUGINS))
def test_executable_is_a_declared_console_script(plugin):
    executable = _plugin(plugin)["executable"]
    assert executable == plugin
    scripts = console_scripts()
    assert executable in scripts, (
        f"Meltano runs {executable!r}, which pyproject.toml's [project.scripts] does not declare "
        f"(declared: {sorted(scripts)})")
