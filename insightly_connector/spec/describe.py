"""The Nexla-style description of the connector: identity, auth mode with its fields, endpoints.

Platforms render the credential form from it and list source and sink endpoints; secrets are
described (as `secured`) but never carried."""

from __future__ import annotations

from insightly_connector.spec.loader import Spec


def describe(spec: Spec) -> dict:
    form = spec.credential_form
    code = spec.connector["code"]
    sources, sinks = [], []
    for resource in spec.resources.values():
        sources.append({"name": resource.endpoint, "resource": resource.name, "display_name": resource.display_name,
                        "incremental": resource.cursor is not None, "dynamic": bool(resource.dynamic)})
        for mode in resource.write_modes:
            sinks.append({"name": f"{code}.{mode}_{resource.name}", "resource": resource.name, "mode": mode})
    return {
        "connector": spec.connector,
        "credential": {
            "auth_mode": spec.credential["auth_mode"],
            "fields": _fields(form),
            "form": form,
            "non_secure": list(spec.credential_policy.non_secure),
        },
        "source": {"endpoints": sources, "shared_fields": ["start_cron"]},
        "sink": {"endpoints": sinks},
    }


def _fields(form: dict) -> list[dict]:
    """Nexla AuthParameter view of the form: name, display name, type, order, secured."""
    required = set(form.get("required", []))
    fields = []
    for index, (name, prop) in enumerate(form.get("properties", {}).items()):
        fields.append({
            "name": name,
            "display_name": prop.get("title", name),
            "description": prop.get("description", ""),
            "data_type": prop.get("type", "string"),
            "order": prop.get("x-order", index),
            "secured": bool(prop.get("secret") or prop.get("writeOnly")),
            "required": name in required,
            "default": prop.get("default"),
        })
    return sorted(fields, key=lambda f: f["order"])
