"""End-to-end fixtures: the whole platform in this process, driven by a real
headless Chromium (Debian's, never a downloaded one) through Playwright.

- `e2e_server`: Django's live-server thread on 127.0.0.1 (the production
  settings of tests/web, with plain http allowed for this test server), plus
  django-tasks-db's own Worker in a thread, so an uploaded document goes the real
  way: upload action -> task queued after commit -> Worker -> process_document.
  On the in-memory SQLite test database every thread shares one connection (as
  Django's LiveServerTestCase does); one lock makes a request and a task never
  run at the same time on it. The test's own database work goes through
  `e2e_server.db(fn)`: same lock, another thread (Playwright's event loop runs in
  the test's thread, where Django rightly refuses database calls).
- `browser`: headless Chromium; skipped, with the reason, only when there is no
  `chromium` on PATH (apt-packages.txt installs it).
- `shots`: screenshots under test-artifacts/e2e/ (gitignored), kept as artifacts.
"""

from __future__ import annotations

import atexit
import base64
import logging
import os
import re
import secrets
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pytest

_DATA_DIR = tempfile.mkdtemp(prefix="casebridge-e2e-test-")
atexit.register(shutil.rmtree, _DATA_DIR, True)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "casebridge.web.settings")
os.environ["CASEBRIDGE_DATA_DIR"] = _DATA_DIR  # never a developer's ./var
os.environ.setdefault("CASEBRIDGE_SECRET_KEY", secrets.token_urlsafe(50))
os.environ.setdefault("CASEBRIDGE_MASTER_KEY", base64.b64encode(secrets.token_bytes(32)).decode())
os.environ.setdefault("CASEBRIDGE_AUDIT_KEY", base64.b64encode(secrets.token_bytes(32)).decode())

T = TypeVar("T")
REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "e2e"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def pytest_configure(config: pytest.Config) -> None:
    """Register the marker, and set Django up like tests/web/conftest.py does
    (pytest-django only does it itself when the settings module is known at
    start-up) unless that conftest already did."""
    config.addinivalue_line(
        "markers", "e2e: a browser journey through the running platform (headless Chromium)"
    )
    import django
    from django.apps import apps

    if apps.ready:
        return
    django.setup()
    try:
        from pytest_django.plugin import _setup_django
    except ImportError:  # a pytest-django without it: no database blocker
        return
    _setup_django(config)


# -- the server and the worker -----------------------------------------------------------


class _Serialised:
    """A WSGI app that handles one request at a time, under `lock`, and gives
    the body back whole (so nothing touches the database after the lock)."""

    def __init__(self, app: Callable[..., Iterable[bytes]], lock: threading.Lock) -> None:
        self.app, self.lock = app, lock

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        with self.lock:
            result = self.app(environ, start_response)
            try:
                return [b"".join(result)]
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()  # request_finished, as a WSGI server would


@dataclass
class E2EServer:
    url: str
    lock: threading.Lock
    worker_errors: list[BaseException] = field(default_factory=list)
    tasks_run: list[int] = field(default_factory=lambda: [0])
    paused: threading.Event = field(default_factory=threading.Event)
    shared: dict[str, Any] = field(default_factory=dict)

    def path(self, path: str) -> str:
        return self.url + path

    def db(self, work: Callable[[], T]) -> T:
        """Run `work` (database reads or writes of the test itself) in a thread
        of its own, under the lock, on the shared connection: never in the
        test's thread, where Playwright's event loop runs (Django would refuse,
        and would open a connection of that context that nobody closes)."""
        from django.db import connections

        answer: list[T] = []
        failed: list[BaseException] = []

        def run() -> None:
            for alias, conn in self.shared.items():
                connections[alias] = conn
            try:
                with self.lock:
                    answer.append(work())
            except BaseException as error:  # noqa: BLE001 - raised in the test's thread
                failed.append(error)
            finally:
                if not self.shared:
                    connections.close_all()

        thread = threading.Thread(target=run, name="e2e-db")
        thread.start()
        thread.join()
        if failed:
            raise failed[0]
        return answer[0]

    def pause_worker(self) -> None:
        """Hold the queue (after the task running now), e.g. to see documents wait."""
        self.paused.set()

    def resume_worker(self) -> None:
        self.paused.clear()


def _shared_connections() -> dict[str, Any]:
    """The in-memory SQLite connections, shared with the other threads (as
    Django's LiveServerTestCase and pytest-django's live_server do)."""
    from django.db import connections

    return {c.alias: c for c in connections.all() if c.vendor == "sqlite" and c.is_in_memory_db()}


def _worker_loop(server: E2EServer, shared: dict[str, Any], stop: threading.Event) -> None:
    """django-tasks-db's Worker (what `manage.py db_worker` runs), one task per
    turn of the lock, until told to stop."""
    from django.db import connections
    from django_tasks_db.management.commands.db_worker import Worker

    for alias, conn in shared.items():
        connections[alias] = conn
    try:
        while not stop.is_set():
            if server.paused.is_set():
                stop.wait(0.2)
                continue
            worker = Worker(
                queue_names=["default"],
                interval=0,
                batch=True,
                backend_name="default",
                startup_delay=False,
                max_tasks=1,
                worker_id="e2e-worker",
                excluded_queue_names=[],
            )
            with server.lock:
                worker.run()
            ran = worker._run_tasks  # noqa: SLF001 - how many it ran (0 or 1)
            server.tasks_run[0] += ran
            if not ran:
                stop.wait(0.3)
    except BaseException as error:  # noqa: BLE001 - reported by the fixture
        server.worker_errors.append(error)
    finally:
        if not shared:
            connections.close_all()


@pytest.fixture
def e2e_server(transactional_db: None, settings: Any, monkeypatch: pytest.MonkeyPatch):
    """The platform at http://127.0.0.1:<port>, with a background task worker."""
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.core.cache import cache
    from django.test.testcases import LiveServerThread

    # The production settings, except what a plain-http test server needs.
    settings.SECURE_SSL_REDIRECT = False
    settings.SECURE_HSTS_SECONDS = 0
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    settings.ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    cache.clear()  # allauth's rate limits

    tasks_log = logging.getLogger("django_tasks_db")  # "Starting worker" at every turn
    monkeypatch.setattr(tasks_log, "level", logging.WARNING)

    lock = threading.Lock()
    shared = _shared_connections()
    for conn in shared.values():
        conn.inc_thread_sharing()
    thread = LiveServerThread(
        "127.0.0.1",
        static_handler=lambda app: _Serialised(StaticFilesHandler(app), lock),
        connections_override=shared,
    )
    thread.daemon = True
    thread.start()
    thread.is_ready.wait()
    if thread.error:
        raise thread.error
    server = E2EServer(url=f"http://127.0.0.1:{thread.port}", lock=lock, shared=shared)
    stop = threading.Event()
    worker = threading.Thread(
        target=_worker_loop, args=(server, shared, stop), name="e2e-worker", daemon=True
    )
    worker.start()
    try:
        yield server
    finally:
        stop.set()
        worker.join(timeout=120)
        thread.terminate()
        for conn in shared.values():
            conn.dec_thread_sharing()
    if server.worker_errors:
        raise server.worker_errors[0]


# -- the browser -------------------------------------------------------------------------


@pytest.fixture
def chromium() -> str:
    """Debian's Chromium; the test is skipped, with the reason, without it."""
    executable = shutil.which("chromium")
    if executable is None:
        pytest.skip(
            "no `chromium` on PATH (apt-packages.txt installs it): end-to-end tests skipped"
        )
    return executable


@pytest.fixture
def browser(chromium: str, e2e_server: E2EServer) -> Iterator[Any]:
    """Headless Chromium through Playwright. Function-scoped: Playwright's
    event loop is gone before the next test's database work."""
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="Playwright is not installed (pip install -e '.[dev]')"
    )
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@dataclass
class PageWatch:
    """What went wrong in a page that an assertion on its text would miss."""

    server_errors: list[str] = field(default_factory=list)
    script_errors: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)

    def _response(self, response: Any) -> None:
        what = f"{response.status} {response.request.method} {response.url}"
        if response.status >= 500:
            self.server_errors.append(what)
        elif response.status >= 400:
            self.console.append(f"answer {what}")

    def attach(self, page: Any) -> Any:
        page.on("response", self._response)
        page.on("pageerror", lambda e: self.script_errors.append(f"{page.url}: {e}"))
        page.on(
            "console",
            lambda m: (
                self.console.append(f"{m.type} {page.url}: {m.text}")
                if m.type in ("error", "warning")
                else None
            ),
        )
        return page


class Shots:
    """Numbered full-page screenshots: test-artifacts/e2e/<test>/NN-<name>.png."""

    def __init__(self, folder: Path) -> None:
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True, exist_ok=True)
        self.folder, self.count = folder, 0

    def _next(self, name: str) -> Path:
        self.count += 1
        return self.folder / f"{self.count:02d}-{name}.png"

    def __call__(self, page: Any, name: str) -> Path:
        path = self._next(name)
        page.screenshot(path=str(path), full_page=True)
        return path

    def element(self, locator: Any, name: str) -> Path:
        """Only this part of the page (a long page's step, e.g. one table row)."""
        path = self._next(name)
        locator.screenshot(path=str(path))
        return path

    def note(self, name: str, text: str) -> Path:
        path = self.folder / f"{name}.txt"
        with path.open("a", encoding="utf-8") as out:
            out.write(text.rstrip("\n") + "\n")
        return path


@pytest.fixture
def shots(request: pytest.FixtureRequest) -> Shots:
    name = re.sub(r"[^a-z0-9_]+", "-", request.node.name.lower()).strip("-")
    return Shots(ARTIFACTS / name)


@pytest.fixture
def watch(shots: Shots) -> Iterator[PageWatch]:
    """The pages' errors; the browser console's errors and warnings are kept
    beside the screenshots (browser-console.txt)."""
    watched = PageWatch()
    yield watched
    lines = watched.server_errors + watched.script_errors + watched.console
    (shots.folder / "browser-console.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")


def fresh_totp_step() -> int:
    """The TOTP time step to type a code from now, never one about to expire: a
    code of a window's last seconds can reach the server in the next window,
    which allauth (no tolerance) refuses."""
    import time

    while time.time() % 30 > 25:
        time.sleep(0.5)
    return int(time.time()) // 30
