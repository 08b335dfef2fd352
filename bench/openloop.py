"""An open-loop HTTP load client on one asyncio loop, for bench/storm.py.

Requests go out on a fixed schedule whatever the server answers (a closed loop would slow down
with the server and hide its stalls). Each kind of request has its own lane: its own keep-alive
connections and a bound on requests in flight. A request whose time comes while its lane is full
is not sent and is counted, so a stalled server shows as unsent requests, not as a quiet client.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import socket
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from serving import ServerClosed, read_response

LATE_S = 0.01  # sent this much after its scheduled time: the client, not the server, was behind
IDLE_S = 2.0  # drop a keep-alive connection idle this long (uvicorn closes them after 5 s)
Connection = tuple[asyncio.StreamReader, asyncio.StreamWriter]


@dataclass
class Answer:
    sent_at: float  # seconds since the lane's clock started
    seconds: float  # from the first byte written to the end of the answer's body
    status: int | str  # HTTP status, "timeout" or "connection error"


def pct_ms(seconds: list[float], q: float) -> float:
    """The q-th percentile (nearest rank) in milliseconds; NaN when there is nothing to rank."""
    if not seconds:
        return float("nan")
    ordered = sorted(seconds)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))] * 1000


@dataclass
class Lane:
    """One kind of request: its own connections, at most `max_in_flight` requests at once."""

    name: str
    host: str
    port: int
    max_in_flight: int
    timeout: float
    t0: float = field(default_factory=time.perf_counter)
    answers: list[Answer] = field(default_factory=list)
    unsent_at: list[float] = field(default_factory=list)  # due while the lane was full (s since t0)
    late_at: list[float] = field(default_factory=list)  # sent more than LATE_S after their time
    samples: list[str] = field(default_factory=list)  # a few unexpected answers, for the report
    in_flight: int = 0
    _idle: list[tuple[Connection, float]] = field(default_factory=list)
    _tasks: set[asyncio.Task[Any]] = field(default_factory=set)

    def offer(self, request: bytes, due: float, keep_body: Callable[[int], bool] | None = None) -> None:
        """Send `request` now, unless the lane is full. `due` is its scheduled perf_counter time."""
        if self.in_flight >= self.max_in_flight:
            self.unsent_at.append(due - self.t0)
            return
        self.in_flight += 1
        task = asyncio.create_task(self._send(request, due, keep_body))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _connection(self) -> Connection:
        now = time.perf_counter()
        while self._idle:
            conn, since = self._idle.pop()
            if now - since < IDLE_S:
                return conn
            conn[1].close()
        conn = await asyncio.open_connection(self.host, self.port)
        sock = conn[1].get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return conn

    async def _send(self, request: bytes, due: float, keep_body: Callable[[int], bool] | None) -> None:
        start = time.perf_counter()
        if start - due > LATE_S:
            self.late_at.append(due - self.t0)
        status: int | str = "connection error"
        conn: Connection | None = None
        try:
            async with asyncio.timeout(self.timeout):
                conn = await self._connection()
                conn[1].write(request)
                status, body, close = await read_response(conn[0])
            if keep_body is not None and keep_body(status) and len(self.samples) < 5:
                self.samples.append(f"{status}: {body[:300].decode('utf-8', 'replace')}")
            if close:
                conn[1].close()
            else:
                self._idle.append((conn, time.perf_counter()))
            conn = None
        except TimeoutError:
            status = "timeout"
        except (OSError, ServerClosed, asyncio.IncompleteReadError, ValueError):
            status = "connection error"
        finally:
            if conn is not None:
                conn[1].close()
            self.in_flight -= 1
            self.answers.append(Answer(start - self.t0, time.perf_counter() - start, status))

    async def drain(self, timeout: float) -> None:
        """Wait for the requests in flight (at most `timeout` s), then close the idle connections."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=timeout)
        for task in set(self._tasks):
            task.cancel()
        for (_, writer), _since in self._idle:
            writer.close()
        self._idle.clear()

    def latencies(self, start: float = 0.0, end: float = math.inf) -> list[float]:
        """Seconds of the answers to requests sent in [start, end) (timeouts count as their timeout)."""
        return [a.seconds for a in self.answers if start <= a.sent_at < end]

    def statuses(self, start: float = 0.0, end: float = math.inf) -> Counter[int | str]:
        return Counter(a.status for a in self.answers if start <= a.sent_at < end)

    def unsent(self, start: float = 0.0, end: float = math.inf) -> int:
        return sum(start <= t < end for t in self.unsent_at)

    def late(self, start: float = 0.0, end: float = math.inf) -> int:
        return sum(start <= t < end for t in self.late_at)


async def on_schedule(lane: Lane, rate: float, seconds: float, request: Callable[[int], bytes],
                      stop: asyncio.Event | None = None, keep_body: Callable[[int], bool] | None = None) -> int:
    """Offer `request(i)` to `lane` at `rate` per second from the lane's t0 for `seconds` (or until
    `stop` is set), on time whatever the answers. Returns how many were due."""
    i = 0
    if rate <= 0:
        return 0
    while not (stop is not None and stop.is_set()):
        due = lane.t0 + i / rate
        if due - lane.t0 >= seconds:
            break
        delay = due - time.perf_counter()
        if delay > 0:
            if stop is None:
                await asyncio.sleep(delay)
            else:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), delay)
                if stop.is_set():
                    break
        elif i % 50 == 0:
            await asyncio.sleep(0)  # behind schedule: still let the answers in
        lane.offer(request(i), due, keep_body)
        i += 1
    return i

