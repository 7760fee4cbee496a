"""One instance's rate budget shared by several processes: through a locked file on one machine (the
default) and through a real Redis server across machines.

The processes are real `insightly-connector read` runs against one harness. Each credential paces
at 6 requests a second while the harness allows 10: three processes pacing alone offer 18 a second
and draw 429s; sharing one budget they offer 6 and draw none, whatever the scheduling jitter."""

from __future__ import annotations

import fcntl
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis

from insightly_connector.harness import Harness
from insightly_connector.http.file_send_log import FileSendLog
from insightly_connector.http.limiter import RateLimiter, instance_key
from insightly_connector.http.redis_send_log import RedisSendLog
from insightly_connector.http.send_log import SPACING_SHARE, MemorySendLog, moved_later
from tests.runner.conftest import CLI_TIMEOUT_SECONDS, assert_no_secret, credential_dict, write_credential

PROCESSES = 3
CONTACTS = 2_700  # six pages of 500 (with the one-record overlap) per read
HARNESS_RATE = 10
CREDENTIAL_RATE = 6
REDIS_START_SECONDS = 10


@pytest.fixture
def redis_url(tmp_path):
    """A real redis-server on a free loopback port, without persistence, stopped afterwards."""
    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    if not Path(binary).exists():
        pytest.fail("redis-server is not installed: `make system` installs Debian's package")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly",
                               "no", "--dir", str(tmp_path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    client = redis.Redis(host="127.0.0.1", port=port, socket_timeout=1)
    try:
        deadline = time.monotonic() + REDIS_START_SECONDS
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline or server.poll() is not None:
                    pytest.fail(f"redis-server did not start on port {port}")
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        client.close()
        server.terminate()
        server.wait(timeout=10)


def _read_together(harness: Harness, tmp_path: Path, credential: dict, *, private_runtime_dirs: bool) -> list:
    """Start PROCESSES reads at once; return their completed processes. With `private_runtime_dirs`, each
    gets its own XDG_RUNTIME_DIR, so no file is shared between them (as on separate machines)."""
    path = write_credential(tmp_path, credential)
    runs = []
    for index in range(PROCESSES):
        env = dict(os.environ)
        runtime = tmp_path / (f"runtime-{index}" if private_runtime_dirs else "runtime")
        runtime.mkdir(mode=0o700, exist_ok=True)
        env["XDG_RUNTIME_DIR"] = str(runtime)
        out = tmp_path / f"out-{index}"
        runs.append(subprocess.Popen(
            [sys.executable, "-m", "insightly_connector", "read", "--credential", path, "--resources", "contacts",
             "--output", str(out), "--quiet"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    finished = []
    for run in runs:
        stdout, stderr = run.communicate(timeout=CLI_TIMEOUT_SECONDS)
        finished.append((run.returncode, stdout, stderr))
    return finished


def _check_reads(harness: Harness, tmp_path: Path, finished: list) -> None:
    for code, stdout, stderr in finished:
        assert code == 0, stderr
        assert_no_secret(harness.api_key, stdout, stderr)
    for index in range(PROCESSES):
        lines = (tmp_path / f"out-{index}" / "contacts.jsonl").read_bytes().splitlines()
        assert len(lines) == CONTACTS
    statuses = [event.status for event in harness.requests()]
    assert statuses.count(429) == 0 and statuses.count(200) >= PROCESSES * 6


def test_processes_on_one_machine_share_the_budget_through_a_file(tmp_path):
    with Harness(seed=3, contacts=CONTACTS, rate_limit_per_second=HARNESS_RATE) as harness:
        credential = credential_dict(harness, requests_per_second=CREDENTIAL_RATE)
        finished = _read_together(harness, tmp_path, credential, private_runtime_dirs=False)
        _check_reads(harness, tmp_path, finished)
    logs = [entry.name for entry in (tmp_path / "runtime").rglob("*.log")]
    assert len(logs) == 1  # one log for the one instance, named by a digest
    assert_no_secret(harness.api_key, *logs)


def test_processes_sharing_only_redis_share_the_budget(tmp_path, redis_url):
    with Harness(seed=4, contacts=CONTACTS, rate_limit_per_second=HARNESS_RATE) as harness:
        credential = credential_dict(harness, requests_per_second=CREDENTIAL_RATE, rate_limit_store=redis_url)
        finished = _read_together(harness, tmp_path, credential, private_runtime_dirs=True)
        _check_reads(harness, tmp_path, finished)
    assert not list(tmp_path.glob("runtime-*/**/*.log"))  # nothing went through a file
    server = redis.Redis.from_url(redis_url)
    keys = [key.decode() for key in server.keys("*")]
    values = [value.decode() for value in server.lrange(f"rate-limit:{keys[0].split(':')[1]}:sent", 0, -1)]
    server.close()
    assert keys and all(key.startswith("rate-limit:") for key in keys)
    assert len(values) >= PROCESSES * 6  # every process logged its sends in the one list
    assert_no_secret(harness.api_key, *keys)


def test_a_429_pause_reaches_every_machine(redis_url):
    """Two limiters over two Redis connections (two machines): a 429 seen by one holds back the other."""
    key = instance_key(("http://127.0.0.1:1/v3.1", "digest"))
    first = RateLimiter(10, store=RedisSendLog(redis_url, key))
    second = RateLimiter(10, store=RedisSendLog(redis_url, key))
    try:
        assert second.store.try_send(second.capacity, second.window)[0] == 0
        first.throttled(30)
        assert second.store.try_send(second.capacity, second.window)[0] > 25
        assert second.window == pytest.approx(1.02) and first.window > second.window  # the margin is per process
    finally:
        first.store.close()
        second.store.close()


def _send(store, capacity: int, window: float) -> None:
    """One send, after the short gap the log keeps between two sends (bounded: a few tries)."""
    for _ in range(20):
        wait, _ = store.try_send(capacity, window)
        if wait == 0:
            return
        assert wait <= SPACING_SHARE * window / capacity + 0.01  # only the gap, never the window
        time.sleep(wait)
    pytest.fail("no send within 20 tries")


def test_the_window_counts_every_machines_sends(redis_url):
    """Three sends in a 3 s window, from two machines: the next waits for the window, on either."""
    key = instance_key(("http://127.0.0.1:2/v3.1", "digest"))
    stores = [RedisSendLog(redis_url, key) for _ in range(2)]
    try:
        for n in range(3):
            _send(stores[n % 2], 3, 3.0)
        assert stores[0].try_send(3, 3.0)[0] > 1.5 and stores[1].try_send(3, 3.0)[0] > 1.5
    finally:
        for store in stores:
            store.close()


def test_an_unreachable_redis_stops_the_run_with_one_line_and_no_password(tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again: nothing listens there
    with Harness(seed=5, contacts=10, rate_limit_per_second=HARNESS_RATE) as harness:
        credential = credential_dict(harness, rate_limit_store=f"redis://:hunter2secret@127.0.0.1:{port}/0")
        run = subprocess.run([sys.executable, "-m", "insightly_connector", "read", "--credential",
                              write_credential(tmp_path, credential), "--resources", "contacts", "--quiet"],
                             capture_output=True, text=True, timeout=CLI_TIMEOUT_SECONDS, check=False)
        sent = len(harness.requests())
    assert run.returncode == 1 and sent == 0
    assert f"redis://127.0.0.1:{port}/0 cannot be used" in run.stderr and "Traceback" not in run.stderr
    assert "hunter2secret" not in run.stderr + run.stdout


def test_a_file_log_in_a_directory_others_can_write_is_refused(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o777)
    shared.chmod(0o777)
    with pytest.raises(OSError):
        FileSendLog(shared, "key")


def test_a_file_log_from_a_restarted_clock_counts_as_empty(tmp_path):
    log = FileSendLog(tmp_path, "key")
    try:
        assert log.try_send(2, 60.0)[0] == 0
        assert log.try_send(2, 60.0)[0] > 5  # the gap between two sends
        log._write(0.0, [time.monotonic() + 3600, time.monotonic() + 3601])  # times a previous boot wrote
        assert log.try_send(2, 60.0)[0] == 0
    finally:
        log.close()


def test_the_margin_a_429_widened_narrows_again_after_a_long_quiet_run():
    limiter = RateLimiter(1e6, max_in_flight=1, safety_margin_seconds=0.0)  # a pace that never waits
    limiter.throttled(0.0)
    limiter.throttled(0.0)
    assert limiter.margin == pytest.approx(0.04)
    sends = 0
    while limiter.margin > 0 and sends < 1_000:
        limiter.acquire()
        limiter.release()
        sends += 1
    assert limiter.margin == 0 and sends == 200  # one step back per 100 sends without a 429


def test_a_forked_child_does_not_share_its_parents_file_lock(tmp_path):
    log = FileSendLog(tmp_path, "key")
    try:
        log._lock_file()  # the parent holds the log's lock, as during a decision
        child = os.fork()
        if child == 0:  # the child: its own descriptor must wait for the parent's lock
            try:
                fcntl.flock(log._descriptor(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                os._exit(1)
            except BlockingIOError:
                os._exit(0)
        _, status = os.waitpid(child, 0)
        assert os.waitstatus_to_exitcode(status) == 0
    finally:
        log.close()


def test_a_send_moved_later_stays_in_order_and_is_found_by_its_time():
    assert moved_later([1.0, 2.0, 3.0], 1.0, 2.5, now=4.0) == [2.0, 2.5, 3.0]
    assert moved_later([1.0, 2.0, 3.0], 1.0, 5.0, now=4.0) == [2.0, 3.0, 4.0]  # never ahead of the clock
    assert moved_later([1.0, 2.0, 3.0], 1.5, 2.5, now=4.0) is None  # no send logged at that time
    assert moved_later([1.0, 2.0, 3.0], 2.0, 1.5, now=4.0) is None  # never earlier


@pytest.fixture(params=["memory", "file", "redis"])
def two_views(request, tmp_path):
    """Two handles on one instance's log, as two processes (file) or two machines (Redis) hold them."""
    if request.param == "memory":
        log = MemorySendLog()
        views = [log, log]
    elif request.param == "file":
        views = [FileSendLog(tmp_path, "key"), FileSendLog(tmp_path, "key")]
    else:
        url = request.getfixturevalue("redis_url")
        key = instance_key(("http://127.0.0.1:3/v3.1", "digest"))
        views = [RedisSendLog(url, key), RedisSendLog(url, key)]
    yield views
    for view in views:
        view.close()


def test_a_send_moved_later_holds_back_the_send_a_window_after_it_in_every_store(two_views):
    """One send a window: the next, from the other handle, waits for the window after the moved send."""
    mover, other = two_views
    first = _send_logged(mover, 1, 2.0)
    time.sleep(0.8)  # the answer is in (a send is never moved past the moment of moving it)
    before = other.try_send(1, 2.0)[0]
    mover.move_later(first, 0.0, 0.5)  # its answer came half a second late
    moved = other.try_send(1, 2.0)[0]
    assert moved > before + 0.4
    mover.move_later(first, 0.5, 0.8)  # judged later again, from where it was moved
    assert other.try_send(1, 2.0)[0] > moved + 0.2
    mover.move_later(first, 0.0, 1.5)  # not where it is now: nothing moves
    assert other.try_send(1, 2.0)[0] < moved + 0.5


def _send_logged(store, capacity: int, window: float) -> float:
    """One send after the gap the log keeps between two sends; its logged time (bounded: a few tries)."""
    for _ in range(20):
        wait, stamp = store.try_send(capacity, window)
        if wait == 0:
            return stamp
        time.sleep(wait)
    pytest.fail("no send within 20 tries")


def _latest_logged(tmp_path) -> float:
    """The latest time in the instance's file log, as another process reads it."""
    view = FileSendLog(tmp_path, "key")
    try:
        return view._read(time.monotonic())[1][-1]
    finally:
        view.close()


def test_a_processs_first_answers_count_as_late_by_all_their_time_beyond_half_the_margin(tmp_path):
    """Before it knows its quickest answer, a process cannot tell a slow server from a normal one."""
    limiter = RateLimiter(1000, safety_margin_seconds=0.05, store=FileSendLog(tmp_path, "key"))
    try:
        before = time.monotonic()
        limiter.acquire()
        time.sleep(0.3)  # the answer takes 0.3 s
        limiter.release()
        assert _latest_logged(tmp_path) >= before + 0.3 - 0.05 / 2  # all of it beyond half the margin
    finally:
        limiter.store.close()


def test_an_answer_slower_than_the_quickest_by_more_than_half_the_margin_moves_its_send(tmp_path):
    limiter = RateLimiter(1000, safety_margin_seconds=0.2, store=FileSendLog(tmp_path, "key"))
    try:
        quick = 0.0  # the slowest of the quick answers, timed around them: the limiter's quickest is no slower
        for _ in range(5):  # quick answers: the process now knows its quickest, and they moved nothing
            before = time.monotonic()
            limiter.acquire()
            granted = time.monotonic()
            limiter.release()
            quick = max(quick, time.monotonic() - before)
        assert before <= _latest_logged(tmp_path) <= granted
        before = time.monotonic()
        limiter.acquire()
        time.sleep(0.5)  # this answer is 0.5 s late: half the margin, 0.1 s, absorbs part of it
        limiter.release()
        assert _latest_logged(tmp_path) >= before + 0.5 - 0.1 - quick
    finally:
        limiter.store.close()


def test_a_turn_given_back_at_once_is_no_answer_to_compare_with(tmp_path):
    """A dead connection found before anything was written gives the turn back at once: were that the
    quickest answer, every answer after it would look late by all its time."""
    limiter = RateLimiter(1000, safety_margin_seconds=0.1, store=FileSendLog(tmp_path, "key"))
    try:
        for _ in range(5):  # answers of 0.2 s
            limiter.acquire()
            time.sleep(0.2)
            limiter.release()
        limiter.acquire()
        limiter.release()  # given back at once
        before = time.monotonic()
        limiter.acquire()
        granted = time.monotonic()
        time.sleep(0.2)  # an answer as quick as the others
        limiter.release()
        assert before <= _latest_logged(tmp_path) <= granted  # not moved
    finally:
        limiter.store.close()


def test_stale_logs_are_swept_at_most_once_an_hour(tmp_path):
    """A sweep stats every log in the directory, so a process start sweeps only if none did for an hour."""
    directory = tmp_path / "logs"
    directory.mkdir(mode=0o700)
    two_days_ago = time.time() - 2 * 86_400

    def stale_log(name: str) -> Path:
        path = directory / f"{name}.log"
        path.write_bytes(b"")
        os.utime(path, (two_days_ago, two_days_ago))
        return path

    first = stale_log("first")
    FileSendLog(directory, "key").close()
    assert not first.exists()  # never swept before: swept now
    second = stale_log("second")
    FileSendLog(directory, "key").close()
    assert second.exists()  # swept a moment ago
    an_hour_ago = time.time() - 3_601
    os.utime(directory / ".swept", (an_hour_ago, an_hour_ago))
    FileSendLog(directory, "key").close()
    assert not second.exists()
