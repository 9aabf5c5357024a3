"""faults.py - run-time fault injection and the request log.

Faults (set through POST /_local/faults, reset by DELETE /_local/faults):
  writeErrorRate     share of writes (POST/PUT/PATCH/DELETE) failing with writeErrorCode
  writeErrorCode     500 (InternalError) or 429 (TooManyRequests + Retry-After)
  retryAfterSeconds  Retry-After of injected 429s (default 1)
  conflictRate       share of updates/patches of existing objects failing with 409 Conflict
  watchCutSeconds    watch connections are cut (socket closed) after this many seconds
  latencyMs          added to every API request
  seed               seeds the random choices so a test run is reproducible
The request log keeps the last `limit` requests: time, method, path (with query),
userAgent, user, code.
"""
import random
import threading
import time

from status import bad_request

FIELDS = {"writeErrorRate": float, "writeErrorCode": int, "retryAfterSeconds": int,
          "conflictRate": float, "watchCutSeconds": float, "latencyMs": float, "seed": int}


class Faults:
    def __init__(self):
        self._lock = threading.Lock()
        self.reset()

    def reset(self):
        """Clears every fault."""
        with self._lock:
            self.cfg = {"writeErrorRate": 0.0, "writeErrorCode": 500, "retryAfterSeconds": 1,
                        "conflictRate": 0.0, "watchCutSeconds": 0.0, "latencyMs": 0.0}
            self._rand = random.Random()

    def update(self, body: dict) -> dict:
        """Merges body into the configuration after checking names and values (400)."""
        if not isinstance(body, dict):
            raise bad_request("faults: body must be a JSON object")
        new = {}
        for k, v in body.items():
            if k not in FIELDS:
                raise bad_request(f"faults: unknown field {k!r}; known: {', '.join(FIELDS)}")
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                raise bad_request(f"faults: {k} must be a number")
            new[k] = FIELDS[k](v)
        for k in ("writeErrorRate", "conflictRate"):
            if k in new and not 0.0 <= new[k] <= 1.0:
                raise bad_request(f"faults: {k} must be between 0 and 1")
        if new.get("writeErrorCode", 500) not in (500, 429):
            raise bad_request("faults: writeErrorCode must be 500 or 429")
        for k in ("retryAfterSeconds", "watchCutSeconds", "latencyMs"):
            if new.get(k, 0) < 0:
                raise bad_request(f"faults: {k} must not be negative")
        with self._lock:
            if "seed" in new:
                self._rand = random.Random(new.pop("seed"))
            self.cfg.update(new)
            return dict(self.cfg)

    def snapshot(self) -> dict:
        """A copy of the fault settings."""
        with self._lock:
            return dict(self.cfg)

    def roll(self, rate_key: str) -> bool:
        """True with the probability configured under rate_key."""
        with self._lock:
            rate = self.cfg[rate_key]
            return rate > 0 and self._rand.random() < rate


class RequestLog:
    def __init__(self, limit: int = 100000):
        self._lock = threading.Lock()
        self.limit = limit
        self.entries = []

    def add(self, method, path, user_agent, user, code, at=None):
        """Appends one request to the log (oldest dropped beyond the limit). at: when it was
        answered (Unix seconds; default now). The time is taken from one clock reading: seconds
        and milliseconds from two readings could straddle a second and be 1 s early."""
        t = time.time() if at is None else at
        ms = int(t * 1000)
        e = {"time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms // 1000)) +
             f".{ms % 1000:03d}Z", "method": method, "path": path,
             "userAgent": user_agent, "user": user, "code": code}
        with self._lock:
            self.entries.append(e)
            if len(self.entries) > self.limit:
                del self.entries[:len(self.entries) - self.limit]

    def list(self) -> list:
        """A copy of the log."""
        with self._lock:
            return list(self.entries)

    def clear(self):
        """Empties the log."""
        with self._lock:
            self.entries = []
