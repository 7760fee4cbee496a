"""Which resources a run covers: the spec's static ones plus those a dynamic template finds live.

Custom objects exist per account, so their record collections are only known after asking the API
(`dynamic.list_path`). That request is made only when the selection needs it."""

from __future__ import annotations

from dataclasses import dataclass, field

from insightly_connector.errors import AccessDenied, ConfigError
from insightly_connector.http.client import Client
from insightly_connector.spec.loader import Spec
from insightly_connector.spec.model import Resource


@dataclass
class Selection:
    """The resolved resources, plus warnings about dynamic templates that could not be expanded."""

    resources: list[Resource]
    warnings: list[str] = field(default_factory=list)


def resolve_resources(client: Client, spec: Spec, names: list[str] | None = None) -> list[Resource]:
    """Resources to read, in spec order; `None` selects every readable one (custom objects included)
    but the opt-in ones (child streams: one request per parent), which are read only when named."""
    return select(client, spec, names).resources


def select(client: Client, spec: Spec, names: list[str] | None = None, *, with_opt_in: bool = False,
           option: str = "--resources") -> Selection:
    """`with_opt_in` keeps the opt-in resources in the default selection (discover lists everything);
    `option` is the one that named them, for the message about a name that is not a resource."""
    default = with_opt_in or names is not None
    static = [r for r in spec.resources.values() if not r.dynamic and (default or not r.opt_in)]
    templates = [r for r in spec.resources.values() if r.dynamic]
    wanted = None if names is None else list(dict.fromkeys(names))
    needs_live = wanted is None or any(name not in spec.resources for name in wanted) or any(
        name in {t.name for t in templates} for name in wanted)
    expanded: list[Resource] = []
    warnings: list[str] = []
    if needs_live:
        for template in templates:
            try:
                expanded.extend(expand(client, spec, template))
            except AccessDenied as exc:
                warnings.append(f"{template.name}: could not list {template.dynamic['list_path']} ({exc.category})")
    if wanted is None:
        return Selection(static + [r for r in expanded if default or not r.opt_in], warnings)
    by_name = {r.name: r for r in static + expanded}
    chosen: list[Resource] = []
    for name in wanted:
        if name in by_name:
            chosen.append(by_name[name])
        elif name in {t.name for t in templates}:
            chosen.extend(r for r in expanded if r.dynamic_source == name)
        else:
            import difflib  # for a mistake's message only

            close = difflib.get_close_matches(name, list(by_name), n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else "; `discover` lists them"
            raise ConfigError(f"{option}: unknown resource {name!r}{hint}")
    return Selection(chosen, warnings)


def expand(client: Client, spec: Spec, template: Resource) -> list[Resource]:
    """One resource per object the template's list endpoint returns."""
    response = client.request("GET", template.dynamic["list_path"])
    objects = response.json()
    if not isinstance(objects, list):
        return []
    return spec.expand_dynamic(template.name, objects)
