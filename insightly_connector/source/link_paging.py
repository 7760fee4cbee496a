"""Paging where each answer says where the next page is: a token in the body, or a next link.

Both are keyset paging on the server's side, so churn cannot shift a page; neither can be resumed
from a position (a token outlives no run), so an interrupted read starts its window over."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urljoin, urlsplit

import orjson

from insightly_connector.errors import ApiError
from insightly_connector.source.pages import ListRequest, Page, Pages, ResumePoint, record_list
from insightly_connector.spec.json_path import follow

if TYPE_CHECKING:
    from insightly_connector.http.client import Client
    from insightly_connector.http.response import Response

_LINK_NEXT = re.compile(r'<([^>]*)>\s*;[^,]*\brel="?next"?', re.IGNORECASE)


@dataclass(frozen=True)
class _Linked:
    """What both kinds share: the page-size parameter, and the walk from one answer to the next."""

    limit_param: str | None
    page_size: int | None
    single_request = False

    def walk(self, client: Client, request: ListRequest, *, start: ResumePoint | None = None,
             record_limit: int | None = None, prefetch: int = 1) -> Pages:
        params = dict(request.params)
        if self.limit_param and self.page_size:
            params[self.limit_param] = self.page_size if record_limit is None else min(self.page_size, record_limit)
        return Pages(self._pages(client, request, params))

    def probe_params(self) -> dict[str, Any]:
        return {self.limit_param: 1} if self.limit_param else {}

    def _pages(self, client: Client, request: ListRequest, params: dict[str, Any]) -> Iterator[Page]:
        path: str = request.path
        while True:
            sent_at = time.monotonic()
            response = client.request("GET", path, params=params)
            body = orjson.loads(response.content)
            records = record_list(response.content, request.records_path, path)
            yield Page(records, 0, None, None, sent_at)
            following = self._next(client, body, response, request, params) if records else None
            if following is None:
                return
            path, params = following

    def _next(self, client: Client, body: Any, response: Response, request: ListRequest,
              params: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
        raise NotImplementedError


@dataclass(frozen=True)
class NextTokenPaging(_Linked):
    """`pagination: {type: next_token}`: the body carries a token; send it back as `token_param`."""

    token_path: str
    token_param: str

    @classmethod
    def compile(cls, config: Mapping[str, Any]) -> NextTokenPaging:
        return cls(config.get("limit_param"), config.get("page_size"), config["token_path"], config["token_param"])

    def _next(self, client: Client, body: Any, response: Response, request: ListRequest,
              params: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
        token = follow(body, self.token_path)
        if token in (None, ""):
            return None
        return request.path, {**params, self.token_param: token}


@dataclass(frozen=True)
class NextLinkPaging(_Linked):
    """`pagination: {type: next_link}`: the body (`link_path`) or a `Link: <…>; rel="next"` header
    names the next page's URL, which must stay under the credential's base URL."""

    link_path: str | None

    @classmethod
    def compile(cls, config: Mapping[str, Any]) -> NextLinkPaging:
        return cls(config.get("limit_param"), config.get("page_size"), config.get("link_path"))

    def _next(self, client: Client, body: Any, response: Response, request: ListRequest,
              params: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
        if self.link_path:
            link = follow(body, self.link_path)
        else:
            found = _LINK_NEXT.search(response.headers.get("Link", ""))
            link = found.group(1) if found else None
        if not isinstance(link, str) or not link:
            return None
        url = urljoin(client.base_url + "/", link)
        if not url.startswith(client.base_url + "/"):
            raise ApiError(f"GET {request.path}: the next-page link leaves the API's base URL; not followed",
                           category="unexpected_response", method="GET", path=request.path)
        parts = urlsplit(url[len(client.base_url):])
        return parts.path, dict(parse_qsl(parts.query, keep_blank_values=True))
