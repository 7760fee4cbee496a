"""The harness in a child process of its own, driven over a pipe.

The benchmarks measure the connector's CPU and memory; with the emulator in a separate process (and
the connector in a third), neither's cost leaks into the other's figures. The child owns a
`Harness(...)`; the parent calls its methods by name and gets plain results back."""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
import time
from typing import Any

_START_TIMEOUT_SECONDS = 600  # a million-contact harness takes a while to build on a busy machine
_CALL_TIMEOUT_SECONDS = 600
_STOP_TIMEOUT_SECONDS = 30
_RATE_WINDOW_SECONDS = 1.1


class HarnessProcess:
    """`with HarnessProcess(contacts=100_000, rate_limit_per_second=10) as harness: harness.base_url`."""

    def __init__(self, **harness_kwargs: Any):
        self.harness_kwargs = harness_kwargs
        self._context = multiprocessing.get_context("spawn")
        self._conn = None
        self._process = None
        self.base_url = ""
        self.api_key = ""
        self.pid = 0

    def __enter__(self) -> HarnessProcess:
        parent_conn, child_conn = self._context.Pipe()
        self._conn = parent_conn
        self._process = self._context.Process(target=_serve, args=(child_conn, self.harness_kwargs),
                                              name="bench-harness", daemon=True)
        self._process.start()
        child_conn.close()
        try:
            self.base_url, self.api_key = self._answer(_START_TIMEOUT_SECONDS)
        except BaseException:
            self._stop()
            raise
        self.pid = self._process.pid
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop()

    def call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        """Call `Harness.<method>(*args, **kwargs)` in the child (or one of the helpers below)."""
        self._conn.send((method, args, kwargs))
        return self._answer(_CALL_TIMEOUT_SECONDS)

    def prepare_run(self) -> None:
        """A clean slate for the next measured run: empty request log, full quota, and a rate window
        the previous run no longer occupies (it slides over one second of real time)."""
        self.call("clear_requests")
        self.call("reset_quota")
        time.sleep(_RATE_WINDOW_SECONDS)

    def requests(self) -> list[dict]:
        """The harness's request log, each entry as a dict."""
        return self.call("requests")

    def _answer(self, timeout: float) -> Any:
        if not self._conn.poll(timeout):
            raise TimeoutError(f"the harness process did not answer within {timeout:.0f} s")
        try:
            ok, value = self._conn.recv()
        except EOFError:
            raise RuntimeError("the harness process exited without answering") from None
        if not ok:
            raise RuntimeError(f"harness process: {value}")
        return value

    def _stop(self) -> None:
        process, conn = self._process, self._conn
        if process is None:
            return
        try:
            if process.is_alive():
                conn.send(("__stop__", (), {}))
        except (BrokenPipeError, OSError):
            pass
        process.join(_STOP_TIMEOUT_SECONDS)
        if process.is_alive():
            process.terminate()
            process.join(_STOP_TIMEOUT_SECONDS)
        if process.is_alive():
            process.kill()
            process.join(_STOP_TIMEOUT_SECONDS)
        conn.close()
        self._process = None


def _serve(conn: Any, harness_kwargs: dict) -> None:
    """The child: build the harness, then answer calls until told to stop or the parent goes away."""
    from insightly_connector.harness import Harness

    try:
        harness = Harness(**harness_kwargs)
        harness.__enter__()
    except Exception as exc:  # reported to the parent, which raises it
        conn.send((False, f"{type(exc).__name__}: {exc}"))
        return
    try:
        conn.send((True, (harness.base_url, harness.api_key)))
        helpers = {"update_many": _update_many, "cpu_seconds": _cpu_seconds}
        while True:
            try:
                method, args, kwargs = conn.recv()
            except EOFError:
                return
            if method == "__stop__":
                return
            try:
                if method in helpers:
                    result = helpers[method](harness, *args, **kwargs)
                else:
                    attribute = getattr(harness, method)
                    result = attribute(*args, **kwargs) if callable(attribute) else attribute
                conn.send((True, _plain(result)))
            except Exception as exc:
                conn.send((False, f"{method}: {type(exc).__name__}: {exc}"))
    finally:
        harness.__exit__(None, None, None)
        conn.close()


def _update_many(harness: Any, collection: str, ids: list[int], fields: dict) -> int:
    """Update many records in one call (the incremental benchmark changes up to 10,000)."""
    for record_id in ids:
        harness.update(collection, record_id, fields)
    return len(ids)


def _cpu_seconds(_harness: Any) -> float:
    times = os.times()
    return times.user + times.system


def _plain(value: Any) -> Any:
    """Dataclasses become dicts so that the answer pickles without the harness's classes."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value
