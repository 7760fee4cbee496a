"""The Nexla-style description of the connector (the `spec` verb): identity, the vendor view, the
credential's auth modes and fields, and the source and sink endpoints with their templates.

It mirrors Nexla's describe surface (credential -> auth modes -> fields; source -> endpoints;
sink -> endpoints; `shared_fields` for sources only); record schemas as draft-04, once per
resource. Secrets are described (as `secured`) but never carried."""

from __future__ import annotations

from insightly_connector.spec import nexla
from insightly_connector.spec.loader import Spec


def describe(spec: Spec) -> dict:
    form = spec.credential_form
    template = nexla.auth_template(spec)
    return {
        "connector": spec.connector,
        "vendor": nexla.vendor_view(spec),
        "credential": {
            "auth_mode": spec.credential["auth_mode"],
            "auth_modes": [{"name": template["name"], "display_name": template["display_name"], "supported": True,
                            "fields": template["parameters"]}],
            "fields": nexla.credential_fields(form),
            "form": form,
            "non_secure": list(spec.credential_policy.non_secure),
        },
        "source": {"endpoints": nexla.source_endpoints(spec), "shared_fields": ["start_cron"]},
        "sink": {"endpoints": nexla.sink_endpoints(spec)},
        "schemas": nexla.record_schemas(spec),  # draft-04, by the endpoints' `resource`
    }
