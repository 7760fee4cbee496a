"""One instance's send log in Redis, so that processes on several machines pace together.

Each decision is one Lua script, atomic on the server and stamped with the server's own clock
(`TIME`), so the machines' clocks never need to agree. The keys are named by a digest of the
instance's identity, never by the key, and expire a minute after the last send. The `redis` client
is imported here only, so a run that does not use Redis never loads it."""

from __future__ import annotations

from urllib.parse import urlsplit

from insightly_connector.errors import TransientError
from insightly_connector.http.send_log import KEEP, MAX_AHEAD_SECONDS, SPACING_SHARE
from insightly_connector.redaction import process_redactor

_EXPIRE_MS = 60_000
_MICROSECONDS = 1_000_000

# KEYS: the send times (a list, ascending), the pause's end. ARGV: capacity, window (us), keep, expiry (ms),
# the furthest a pause may lie ahead (us), the shortest gap between two sends (us); as `send_log.next_send_wait`.
# Returns {0, the send's time (us)} when the send is logged, else {the microseconds to wait, 0}.
_TRY_SEND = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local capacity, window = tonumber(ARGV[1]), tonumber(ARGV[2])
local wait = 0
local paused = tonumber(redis.call('GET', KEYS[2]) or '0')
if paused - now > tonumber(ARGV[5]) then paused = 0 end
if paused > now then wait = paused - now end
local count = redis.call('LLEN', KEYS[1])
if count > 0 then
  local last = tonumber(redis.call('LINDEX', KEYS[1], -1))
  if last > now then
    redis.call('DEL', KEYS[1])
    count = 0
  elseif last + tonumber(ARGV[6]) - now > wait then
    wait = last + tonumber(ARGV[6]) - now
  end
end
if count >= capacity then
  local nth = tonumber(redis.call('LINDEX', KEYS[1], -capacity))
  if nth + window - now > wait then
    wait = nth + window - now
  end
end
if wait > 0 then return {math.ceil(wait), 0} end
redis.call('RPUSH', KEYS[1], string.format('%.0f', now))
redis.call('LTRIM', KEYS[1], -tonumber(ARGV[3]), -1)
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[4]))
return {0, now}
"""

# KEYS: the send times. ARGV: the time to move (us), where to (us), expiry (ms); as `send_log.moved_later`.
_MOVE_LATER = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local from, to = tonumber(ARGV[1]), math.min(tonumber(ARGV[2]), now)
if to <= from then return 0 end
local times = redis.call('LRANGE', KEYS[1], 0, -1)
local found = false
for i = 1, #times do
  times[i] = tonumber(times[i])
  if not found and times[i] == from then
    times[i] = to
    found = true
  end
end
if not found then return 0 end
table.sort(times)
for i = 1, #times do times[i] = string.format('%.0f', times[i]) end
redis.call('DEL', KEYS[1])
redis.call('RPUSH', KEYS[1], unpack(times))
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3]))
return 1
"""

# KEYS: the pause's end. ARGV: pause (us), expiry (ms). Moves the end later, never earlier.
_PAUSE = """
local t = redis.call('TIME')
local ends = tonumber(t[1]) * 1000000 + tonumber(t[2]) + tonumber(ARGV[1])
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if ends > current then
  redis.call('SET', KEYS[1], string.format('%.0f', ends), 'PX', tonumber(ARGV[2]) + math.ceil(tonumber(ARGV[1]) / 1000))
end
return 0
"""


def shown_url(url: str) -> str:
    """The store's URL as messages may show it: scheme, host, port and database, never a password."""
    parts = urlsplit(url)
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname}{port}{parts.path}"


class RedisSendLog:
    """The send log of one instance in the Redis server at `url` (`redis://host:port/db`)."""

    def __init__(self, url: str, key: str, *, timeout_seconds: float = 5.0):
        import redis  # only runs that share their budget through Redis need the client

        self._errors = (redis.RedisError, OSError)
        password = urlsplit(url).password
        if password:
            process_redactor.add(password)
        self.description = f"redis {shown_url(url)}"
        self._client = redis.Redis.from_url(url, socket_timeout=timeout_seconds,
                                            socket_connect_timeout=timeout_seconds)
        self._keys = [f"rate-limit:{key}:sent", f"rate-limit:{key}:paused"]
        self._try_send = self._client.register_script(_TRY_SEND)
        self._pause = self._client.register_script(_PAUSE)
        self._move_later = self._client.register_script(_MOVE_LATER)

    def try_send(self, capacity: int, window: float) -> tuple[float, float]:
        """The logged time is the server's, in microseconds since the epoch: only `move_later` reads it."""
        waited, stamp = self._call(self._try_send, self._keys,
                                   [capacity, round(window * _MICROSECONDS), KEEP, _EXPIRE_MS,
                                    round(MAX_AHEAD_SECONDS * _MICROSECONDS),
                                    round(SPACING_SHARE * window / capacity * _MICROSECONDS)])
        return int(waited) / _MICROSECONDS, float(stamp)

    def move_later(self, stamp: float, by: float, to: float) -> None:
        self._call(self._move_later, self._keys[:1],
                   [round(stamp + by * _MICROSECONDS), round(stamp + to * _MICROSECONDS), _EXPIRE_MS])

    def pause(self, seconds: float) -> None:
        self._call(self._pause, self._keys[1:], [round(seconds * _MICROSECONDS), _EXPIRE_MS])

    def close(self) -> None:
        self._client.close()

    def _call(self, script, keys: list[str], args: list) -> int:
        try:
            return script(keys=keys, args=args)
        except self._errors as exc:
            raise TransientError(f"rate_limit_store: {self.description} cannot be used "
                                 f"({type(exc).__name__}); the shared rate limit cannot be kept") from None
