"""Headless Chromium for the browser tests, driven with the DevTools protocol over a pipe (Python's standard library
only: --remote-debugging-pipe reads JSON commands on fd 3 and answers on fd 4, each message ended by a NUL byte).

Without Chromium the tests skip and say how to install it; in CI (CI=true) that skip is a failure instead."""
from __future__ import annotations

import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from typing import Any

import pytest

# no host name but this machine resolves (the pages must work offline; an exported notebook's CDN links fail at once)
FLAGS = ["--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost", "--headless", "--no-sandbox",
         "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--window-size=1280,900", "--remote-debugging-pipe"]


def find_chromium() -> str:
    """The Chromium binary, or a skip (a failure under CI=true) that says how to get one."""
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    reason = ("no Chromium on PATH for the browser tests: install Debian's package (`apt-get install -y chromium`, as "
              ".ci/run does)")
    if os.environ.get("CI") == "true":
        pytest.fail(reason + "; in CI the browser tests must run, not skip")
    pytest.skip(reason)


class Browser:
    """One headless Chromium with one page; `open(url)`, `js(expression)`, `key(name)`."""

    def __init__(self, binary: str, timeout: float = 30.0) -> None:
        self.timeout = timeout
        self.profile = tempfile.TemporaryDirectory(prefix="chromium-profile-")
        to_browser, self._out = os.pipe()
        self._in, from_browser = os.pipe()
        # the browser reads on fd 3 and writes on fd 4: move the ends there, above everything else first
        high = [os.dup(fd) for fd in (to_browser, from_browser)]
        high = [fcntl_dup_above(fd, 10) for fd in high]

        def child_fds() -> None:
            os.dup2(high[0], 3)
            os.dup2(high[1], 4)

        self.process = subprocess.Popen([binary, *FLAGS, f"--user-data-dir={self.profile.name}", "about:blank"],
                                        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL, pass_fds=(3, 4), preexec_fn=child_fds)
        for fd in (to_browser, from_browser, *high):
            os.close(fd)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict] = []
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        self.send("Page.enable", session=True)
        self.send("Runtime.enable", session=True)

    def send(self, method: str, params: dict | None = None, session: bool = False) -> dict:
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = self.session
        os.write(self._out, json.dumps(message).encode("utf-8") + b"\0")
        while True:
            reply = self._read()
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def _read(self) -> dict:
        deadline = time.monotonic() + self.timeout
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._in], [], [], left)[0]:
                raise TimeoutError(f"Chromium did not answer within {self.timeout} s")
            chunk = os.read(self._in, 1 << 16)
            if not chunk:
                raise RuntimeError("Chromium closed its DevTools pipe")
            self._buffer += chunk
        message, _, self._buffer = self._buffer.partition(b"\0")
        return json.loads(message)

    def open(self, url: str) -> None:
        """Load `url` afresh (by way of about:blank, so a new #fragment is a new load) and wait for its load event."""
        for address in ("about:blank", url):
            self.events = [e for e in self.events if e.get("method") != "Page.loadEventFired"]
            self.send("Page.navigate", {"url": address}, session=True)
            while not any(e.get("method") == "Page.loadEventFired" for e in self.events):
                self.events.append(self._read())

    def settle(self) -> None:
        """Let the page run what it queued (events such as hashchange fire in a later task)."""
        self.js("new Promise(done => setTimeout(done, 50))")

    def js(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (JSON-like values come back as Python ones)."""
        result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                                "awaitPromise": True}, session=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"JavaScript error: {result['exceptionDetails']}")
        return result["result"].get("value")

    def key(self, name: str) -> None:
        """Press and release a key ("ArrowRight", "Home", ...) where the page's focus is."""
        codes = {"ArrowLeft": 37, "ArrowRight": 39, "Home": 36, "End": 35, " ": 32}
        for kind in ("keyDown", "keyUp"):
            self.send("Input.dispatchKeyEvent", {"type": kind, "key": name, "code": name,
                                                 "windowsVirtualKeyCode": codes.get(name, 0)}, session=True)

    def close(self) -> None:
        try:
            self.send("Browser.close")
        except (RuntimeError, TimeoutError, OSError):
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        for fd in (self._in, self._out):
            os.close(fd)
        self.profile.cleanup()


def fcntl_dup_above(fd: int, lowest: int) -> int:
    """A copy of `fd` numbered `lowest` or more (closing `fd`), so moving it to 3 or 4 clobbers nothing."""
    import fcntl
    copy = fcntl.fcntl(fd, fcntl.F_DUPFD, lowest)
    os.close(fd)
    return copy
