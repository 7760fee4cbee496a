"""The registry of paging kinds, as dlt's `PAGINATOR_MAP`: `read.pagination.type` names one, and the
spec compiles each resource's block once into a frozen paginator that makes its walks."""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson

from insightly_connector.errors import ApiError
from insightly_connector.source.link_paging import NextLinkPaging, NextTokenPaging
from insightly_connector.source.offset_paging import OffsetPaging
from insightly_connector.source.pages import ListRequest, Page, Pages, ResumePoint
from insightly_connector.spec.json_path import follow

if TYPE_CHECKING:
    from insightly_connector.http.client import Client


@dataclass(frozen=True)
class NoPaging:
    """`pagination: {type: none}`: one GET answers with the whole list, or with one object."""

    single_object: bool = False
    single_request = True

    def walk(self, client: Client, request: ListRequest, *, start: ResumePoint | None = None,
             record_limit: int | None = None, prefetch: int = 1) -> Pages:
        return Pages(self._page(client, request))

    def probe_params(self) -> dict[str, Any]:
        return {}

    def fetch(self, client: Client, request: ListRequest) -> list[dict]:
        response = client.request("GET", request.path, params=dict(request.params))
        body = follow(orjson.loads(response.content), request.records_path)
        if self.single_object and isinstance(body, dict):
            return [body]
        if not self.single_object and isinstance(body, list):
            return body
        expected = "one object" if self.single_object else "a list of records"
        raise ApiError(f"GET {request.path}: expected {expected} at {request.records_path!r}",
                       category="unexpected_response", method="GET", path=request.path)

    def _page(self, client: Client, request: ListRequest) -> Iterator[Page]:
        sent_at = time.monotonic()
        yield Page(self.fetch(client, request), 0, None, None, sent_at)


Paginator = OffsetPaging | NoPaging | NextTokenPaging | NextLinkPaging

PAGINATORS: dict[str, type[OffsetPaging] | type[NoPaging] | type[NextTokenPaging] | type[NextLinkPaging]] = {
    "offset": OffsetPaging,
    "none": NoPaging,
    "next_token": NextTokenPaging,
    "next_link": NextLinkPaging,
}


def compile_paginator(config: Mapping[str, Any], *, single_object: bool) -> Paginator:
    """The meta-schema has checked `type` and the keys each kind requires."""
    kind = PAGINATORS[config["type"]]
    if kind is NoPaging:
        return NoPaging(single_object)
    return kind.compile(config)
