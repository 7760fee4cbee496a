"""`Harness`: start an Insightly v3.1 emulator on 127.0.0.1, control it, stop it.

    with Harness(pod="na1", seed=7, contacts=200, rate_limit_per_second=None) as h:
        requests.get(h.base_url + "/Contacts", auth=(h.api_key, ""))
        h.update("Contacts", some_id, {"FIRST_NAME": "Changed"})   # behind the client's back
        h.inject(status=503, count=2, path_prefix="/Contacts")
        [e.path for e in h.requests()]

Every control method takes the API's lock, so it is safe while clients are mid-request.
"""

from __future__ import annotations

import copy
import hashlib
import threading
import uuid
from datetime import datetime

from insightly_connector.harness.admin import AdminSurface
from insightly_connector.harness.api import API_PREFIX, InsightlyApi, Options
from insightly_connector.harness.clock import Clock
from insightly_connector.harness.dataset import Dataset
from insightly_connector.harness.faults import Churn, Injection, RandomFaults
from insightly_connector.harness.plans import DAILY_QUOTAS, check_plan
from insightly_connector.harness.reference_data import user_ids
from insightly_connector.harness.request_log import RequestLogEntry
from insightly_connector.harness.server import ADMIN_PREFIX, HarnessServer
from insightly_connector.harness.table import load_table

DEFAULT_RATE_LIMIT = 10  # requests a second, as the live API (api-notes §5.3)


def demo_key(seed: int, pod: str) -> str:
    """The pod's demo API key: a GUID (like real keys), fixed by seed and pod, so each pod has its own."""
    return str(uuid.UUID(bytes=hashlib.sha256(f"insightly-harness/{seed}/{pod}".encode()).digest()[:16]))


class Harness:
    def __init__(self, pod: str = "na1", seed: int = 7, plan: str = "enterprise", contacts: int = 200, *,
                 sizes: dict[str, int] | None = None, rate_limit_per_second: int | None = DEFAULT_RATE_LIMIT,
                 latency_ms: float = 0, jitter_ms: float = 0, search_inclusive: bool = False,
                 search_combined_filters: str = "and", search_case_sensitive: bool = False,
                 child_changes_touch_parent: bool = False, api_key: str | None = None,
                 extra_keys: tuple[str, ...] | list[str] = (),
                 disabled_keys: tuple[str, ...] | list[str] = (), record_limit: int | None = None,
                 daily_quota: int | None = None, port: int = 0, request_log_limit: int = 100_000):
        self.pod, self.seed, self.plan = pod.lower(), seed, check_plan(plan)
        self.api_key = api_key or demo_key(seed, self.pod)
        self.clock = Clock()
        self.dataset = Dataset(load_table(), seed, contacts, sizes, instance_name=f"Harness Demo {self.pod}",
                               plan=self.plan)
        users = user_ids()
        keys = {self.api_key: users[0]}
        keys.update({key: users[(n + 1) % len(users)] for n, key in enumerate(extra_keys)})
        options = Options()
        options.set("search_inclusive", search_inclusive)
        options.set("search_combined_filters", search_combined_filters)
        options.set("search_case_sensitive", search_case_sensitive)
        options.set("child_changes_touch_parent", child_changes_touch_parent)
        self._latency = (latency_ms, jitter_ms)
        self.api = InsightlyApi(
            self.dataset, self.clock, plan=self.plan,
            daily_quota=daily_quota if daily_quota is not None else DAILY_QUOTAS[self.plan],
            keys=keys, disabled_keys=set(disabled_keys), rate_limit_per_second=rate_limit_per_second,
            record_limit=record_limit, faults=RandomFaults(latency_ms=latency_ms, jitter_ms=jitter_ms, seed=seed),
            options=options, seed=seed, log_limit=request_log_limit)
        self._port = port
        self._server: HarnessServer | None = None
        self._thread: threading.Thread | None = None

    # ---- lifecycle -------------------------------------------------------------------------------------

    def start(self) -> Harness:
        if self._server is None:
            self._server = HarnessServer(self._port, self.api.handle, AdminSurface(self).handle,
                                         self.clock.http_date)
            self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1},
                                            name=f"insightly-harness-{self.pod}", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.close_connections()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def __enter__(self) -> Harness:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the harness is not running")
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}{API_PREFIX}"

    @property
    def admin_url(self) -> str:
        return f"http://127.0.0.1:{self.port}{ADMIN_PREFIX}"

    # ---- records behind the client's back --------------------------------------------------------------

    def collections(self) -> list[str]:
        return sorted(self.dataset.collections)

    @property
    def custom_objects(self) -> list[str]:
        return list(self.dataset.custom_objects)

    def _store(self, collection: str):
        store = self.dataset.collection(collection)
        if store is None:
            raise KeyError(f"unknown collection {collection!r}")
        return store

    def create(self, collection: str, record: dict) -> dict:
        """Create as the demo user; dates and creators may be set (e.g. a chosen DATE_UPDATED_UTC)."""
        self._store(collection)
        with self.api.lock:
            return copy.deepcopy(self.api.writer.create(collection, record, user_ids()[0], trusted=True))

    def update(self, collection: str, id, fields: dict) -> dict:
        """Partial update; DATE_UPDATED_UTC becomes now unless `fields` sets it."""
        self._store(collection)
        with self.api.lock:
            return copy.deepcopy(self.api.writer.update(collection, fields, trusted=True, key=id))

    def delete(self, collection: str, id) -> bool:
        with self.api.lock:
            return self._store(collection).delete(id)

    def get(self, collection: str, id) -> dict | None:
        with self.api.lock:
            return copy.deepcopy(self._store(collection).get(id))

    def count(self, collection: str) -> int:
        with self.api.lock:
            return len(self._store(collection))

    def ids(self, collection: str) -> list:
        with self.api.lock:
            return self._store(collection).ids()

    def record_total(self) -> int:
        """What the record limit counts: every generated-kind record (not users, settings or lists)."""
        with self.api.lock:
            return self.dataset.record_total()

    # ---- clock, quota, options -------------------------------------------------------------------------

    def advance_clock(self, seconds: float) -> None:
        with self.api.lock:
            self.clock.advance(seconds)

    def now(self) -> datetime:
        return self.clock.now()

    def reset_quota(self) -> None:
        with self.api.lock:
            self.api.quota.reset()

    def set_quota_remaining(self, remaining: int) -> None:
        with self.api.lock:
            self.api.quota.set_remaining(remaining)

    def quota_remaining(self) -> int:
        with self.api.lock:
            return self.api.quota.remaining

    def set_option(self, name: str, value) -> None:
        with self.api.lock:
            self.api.options.set(name, value)

    def set_record_limit(self, limit: int | None) -> None:
        with self.api.lock:
            self.api.record_limit = limit

    # ---- faults and churn ------------------------------------------------------------------------------

    def inject(self, status: int | None = None, count: int = 1, method: str | None = None,
               path_prefix: str | None = None, kind: str = "status", seconds: float = 0.0,
               retry_after: int | None = None, after: int = 0) -> None:
        """Answer the next `count` matching requests with a fault (see `faults.py` for the kinds), after
        letting `after` matching requests through untouched."""
        injection = Injection(kind=kind, status=status, count=count, method=method, path_prefix=path_prefix,
                              seconds=seconds, retry_after=retry_after, after=after)
        with self.api.lock:
            self.api.injections.append(injection)

    def set_faults(self, error_rate: float = 0.0, reset_rate: float = 0.0, truncate_rate: float = 0.0,
                   burst_429_every: int = 0, burst_429_length: int = 3, latency_ms: float | None = None,
                   jitter_ms: float | None = None, seed: int | None = None) -> None:
        """Random faults from a seeded RNG, for benchmarks and soak runs (replaces earlier settings)."""
        latency, jitter = self._latency
        faults = RandomFaults(error_rate=error_rate, reset_rate=reset_rate, truncate_rate=truncate_rate,
                              burst_429_every=burst_429_every, burst_429_length=burst_429_length,
                              latency_ms=latency if latency_ms is None else latency_ms,
                              jitter_ms=jitter if jitter_ms is None else jitter_ms,
                              seed=self.seed if seed is None else seed)
        with self.api.lock:
            self.api.faults = faults

    def faults_played(self) -> dict[str, int]:
        """Faults actually played since start, by kind: `status_<code>` for a status fault, `random_...` for
        the seeded random ones."""
        with self.api.lock:
            return dict(self.api.faults_played)

    def clear_faults(self) -> None:
        """No injected or random faults, no latency."""
        with self.api.lock:
            self.api.injections.clear()
            self.api.faults = RandomFaults(seed=self.seed)
        self._latency = (0, 0)

    def set_churn(self, collection: str, creates: int = 1, updates: int = 1, deletes: int = 1,
                  every_requests: int = 1, every_seconds: float | None = None) -> None:
        """Mutate `collection` just before every `every_requests`-th list or search of it."""
        self._store(collection)
        with self.api.lock:
            self.api.churns[collection] = Churn(collection, creates, updates, deletes, every_requests, every_seconds)

    def clear_churn(self, collection: str | None = None) -> None:
        with self.api.lock:
            if collection is None:
                self.api.churns.clear()
            else:
                self.api.churns.pop(collection, None)

    # ---- the request log -------------------------------------------------------------------------------

    def requests(self) -> list[RequestLogEntry]:
        with self.api.lock:
            return self.api.log.entries()

    def clear_requests(self) -> None:
        with self.api.lock:
            self.api.log.clear()

    def state(self) -> dict:
        with self.api.lock:
            return {"base_url": self.base_url, "pod": self.pod, "plan": self.plan, "now": self.now().isoformat(),
                    "quota": {"limit": self.api.quota.limit, "remaining": self.api.quota.remaining},
                    "rate_limit_per_second": self.api.rate.per_second,
                    "options": vars(self.api.options),
                    "counts": {name: len(c) for name, c in sorted(self.dataset.collections.items())}}
