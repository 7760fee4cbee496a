"""Route tables: method + path pattern -> handler, for the emulated API (`api.py`) and the admin surface
(`admin.py`). Each of those modules lists its routes in one table; this module only matches them.

A route is `Route(method, pattern, handler, when=None)`:

    method    "GET", "POST", "PUT", "DELETE", ... or "*" for any method
    pattern   "/Literal/{name}/**"
                Literal   one segment, compared case-insensitively when the table says so
                {name}    one segment, handed to the handler as the keyword argument `name`; when the table
                          has a converter for `name`, the converter's value is handed over instead (a
                          converter answering None means "this pattern does not match"; one that raises
                          stops the lookup: that is how a bad id answers 400 whatever the method)
                **        zero or more further segments (last only)
    handler   called by the table's owner with the captured values as keyword arguments
    when      a condition on the captured values (the table's `condition(when, values)` decides), e.g.
              "create": the route exists only for collections that can be created

Resolution: patterns are tried in table order and the first that matches the path owns it. The owner's
route for the method (else its "*" route) answers, if its `when` holds. Otherwise the answer is
`MethodNotAllowed` when some other route of that pattern holds, and `NoRoute` when none does, or when no
pattern matches at all.

Patterns are compiled once, when the table is built, into candidate lists per literal first segment and
per path length; a lookup tries only those candidates, then looks the method up in a dict.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

Converter = Callable[[str, dict], Any]  # (segment, values captured so far) -> value | None (no match)
Condition = Callable[[str, dict], bool]  # (route.when, captured values) -> does the route exist here?

ANY_METHOD = "*"
TAIL = "**"


class NoRoute(Exception):
    """No pattern matches the path, or the matching pattern has no route that exists here."""


class MethodNotAllowed(Exception):
    """The path exists, but not for this method."""


@dataclass(frozen=True)
class Route:
    method: str
    pattern: str
    handler: Callable | str  # a name is looked up on the owner by `bound_to`
    when: str | None = None

    def bound_to(self, owner: object) -> Route:
        """This route with a handler named by a string replaced by the owner's attribute of that name, so a
        table can be listed at the top of a module, before the handlers it names."""
        return replace(self, handler=getattr(owner, self.handler)) if isinstance(self.handler, str) else self


class _Pattern:
    """One path pattern, compiled: its segments and, per method, its route."""

    __slots__ = ("literals", "routes", "size", "steps", "tail", "text")

    def __init__(self, text: str, case_sensitive: bool, converters: Mapping[str, Converter]):
        segments = [s for s in text.split("/") if s]
        self.text = text
        self.tail = bool(segments) and segments[-1] == TAIL
        if self.tail:
            segments = segments[:-1]
        if TAIL in segments:
            raise ValueError(f"{text!r}: '**' may only end a pattern")
        self.size = len(segments)
        # per segment: the literal to compare (None for a placeholder) and the placeholder's name
        self.literals: tuple[str | None, ...] = tuple(
            None if _is_placeholder(s) else (s if case_sensitive else s.lower()) for s in segments)
        names = [s[1:-1] if _is_placeholder(s) else None for s in segments]
        # per segment: (literal to compare | None, placeholder name | None, converter | None)
        self.steps = tuple((literal, name, converters.get(name) if name else None)
                           for literal, name in zip(self.literals, names, strict=True))
        self.routes: dict[str, Route] = {}

    @property
    def head(self) -> str | None:
        """The literal first segment, if the pattern starts with one."""
        return self.literals[0] if self.literals else None

    def accepts_size(self, size: int) -> bool:
        return size == self.size or (self.tail and size > self.size)

    def match(self, parts: list[str], case_sensitive: bool) -> dict | None:
        """The values the placeholders capture from `parts` (of an accepted size), or None."""
        values: dict = {}
        for (literal, name, converter), part in zip(self.steps, parts, strict=False):
            if literal is not None:
                if (part if case_sensitive else part.lower()) != literal:
                    return None
            elif converter is None:
                values[name] = part
            else:
                value = converter(part, values)
                if value is None:
                    return None
                values[name] = value
        return values


class RouteTable:
    def __init__(self, routes: Iterable[Route], *, converters: Mapping[str, Converter] | None = None,
                 condition: Condition | None = None, case_sensitive: bool = True):
        self.routes = tuple(routes)
        self.case_sensitive = case_sensitive
        self._condition = condition
        patterns: dict[str, _Pattern] = {}
        for route in self.routes:
            pattern = patterns.get(route.pattern)
            if pattern is None:
                pattern = patterns[route.pattern] = _Pattern(route.pattern, case_sensitive, converters or {})
            if route.method in pattern.routes:
                raise ValueError(f"two routes for {route.method} {route.pattern}")
            if route.when is not None and condition is None:
                raise ValueError(f"{route.method} {route.pattern}: `when` needs a table condition")
            pattern.routes[route.method] = route
        ordered = list(patterns.values())
        # Candidates, in table order, per literal first segment and per path length: a lookup only meets
        # the patterns that could match. Paths longer than every fixed pattern share the last list.
        longest = max((p.size for p in ordered), default=0) + 1
        heads = {p.head for p in ordered if p.head is not None}

        def by_size(head: str | None) -> list[list[_Pattern]]:
            return [[p for p in ordered if p.head in (head, None) and p.accepts_size(size)]
                    for size in range(longest + 1)]

        self._by_head = {head: by_size(head) for head in heads}
        self._others = by_size(None)
        self._longest = longest

    def resolve(self, method: str, parts: list[str]) -> tuple[Route, dict]:
        """The route for `method` on the path split into `parts` (no empty segments), and the values its
        placeholders captured. Raises NoRoute or MethodNotAllowed."""
        sizes = self._others
        if parts:
            sizes = self._by_head.get(parts[0] if self.case_sensitive else parts[0].lower(), sizes)
        size = len(parts)
        for pattern in sizes[size if size < self._longest else self._longest]:
            values = pattern.match(parts, self.case_sensitive)
            if values is None:
                continue
            route = pattern.routes.get(method) or pattern.routes.get(ANY_METHOD)
            if route is not None and (route.when is None or self._exists(route, values)):
                return route, values
            if any(self._exists(other, values) for other in pattern.routes.values()):
                raise MethodNotAllowed(method)
            raise NoRoute("/" + "/".join(parts))
        raise NoRoute("/" + "/".join(parts))

    def _exists(self, route: Route, values: dict) -> bool:
        return route.when is None or self._condition(route.when, values)

    def describe(self) -> list[str]:
        """One line per route, as listed: for docs and error messages."""
        return [f"{r.method:<7}{r.pattern}" + (f"   (when {r.when})" if r.when else "") for r in self.routes]


def _is_placeholder(segment: str) -> bool:
    return segment.startswith("{") and segment.endswith("}")
