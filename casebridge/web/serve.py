"""`casebridge serve`: the whole platform on one machine, for a demo or a small
installation: SQLite and encrypted files in the data folder, the migrations
applied, background workers (django-tasks-db's `db_worker`, as child
processes: two by default, so that one long document does not hold up the
others) plus a thread that re-queues documents a dead worker left behind,
restarts a worker that died and runs the retention job once a day, and gunicorn in front: several web processes, so that pages are served on
every core at once (one Python process serves one page at a time, whatever
its number of threads), with WhiteNoise serving the CSS and scripts.

A larger installation runs the same pieces apart: PostgreSQL via
DATABASE_URL, gunicorn (or any WSGI server) on casebridge.web.wsgi behind an
https proxy, and `manage.py db_worker` processes on any machine (docs/web.md).
"""

from __future__ import annotations

import ipaddress
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Mapping
from pathlib import Path

log = logging.getLogger(__name__)

SETTINGS_MODULE = "casebridge.web.settings"
REQUEUE_EVERY_SECONDS = 60.0
# The retention job (cases/retention.py) runs on the loop's first round, then
# once a day.
RETENTION_EVERY_SECONDS = 24 * 3600.0
# Threads per web process. A page is mostly Python: threads of one process
# take turns on one core (the GIL) and a kept-alive connection stays with one
# process. Measured (bench_web, 20 users, 2 cores): plain processes, one
# request each ("sync" workers), served 1.3-1.6x the requests of 4 threads a
# process, at a lower p95. More threads suit slow clients with no buffering
# proxy in front (--threads; gunicorn's "gthread" workers).
DEFAULT_THREADS = 1
# Document workers: each reads one document at a time (in a child process of
# its own, under limits: cases/reader.py), so with one worker a long document
# holds up every other patient's. Two keep the queue moving on a 2-core
# machine while the web processes still get their turn.
DEFAULT_DOCUMENT_WORKERS = 2


def default_workers(cpus: int | None = None) -> int:
    """Web processes: CASEBRIDGE_WEB_WORKERS, else one per core plus one (a
    page is mostly Python, which uses one core per process), at least 2."""
    configured = os.environ.get("CASEBRIDGE_WEB_WORKERS", "").strip()
    if configured:
        try:
            return max(1, int(configured))
        except ValueError:
            log.warning("CASEBRIDGE_WEB_WORKERS=%r is not a number: ignored", configured)
    return max(2, (cpus if cpus is not None else os.cpu_count() or 1) + 1)


def default_document_workers() -> int:
    """Document workers: CASEBRIDGE_DOCUMENT_WORKERS, else 2."""
    configured = os.environ.get("CASEBRIDGE_DOCUMENT_WORKERS", "").strip()
    if configured:
        try:
            return max(1, int(configured))
        except ValueError:
            log.warning("CASEBRIDGE_DOCUMENT_WORKERS=%r is not a number: ignored", configured)
    return DEFAULT_DOCUMENT_WORKERS


def is_loopback(host: str) -> bool:
    host = host.strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve_environment(
    *, demo: bool, host: str, data_dir: Path | None = None, base: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The environment variables to set before Django starts (what is already
    set wins). A demo on this machine runs over plain http: no https redirect
    and no HSTS, and its keys may be generated into the data folder."""
    env = dict(os.environ if base is None else base)
    wanted: dict[str, str] = {"DJANGO_SETTINGS_MODULE": SETTINGS_MODULE}
    if data_dir is not None:
        wanted["CASEBRIDGE_DATA_DIR"] = str(Path(data_dir).resolve())
    if demo:
        wanted["CASEBRIDGE_DEMO"] = "1"
        if is_loopback(host):
            wanted["CASEBRIDGE_SSL_REDIRECT"] = "0"
            wanted["CASEBRIDGE_HSTS_SECONDS"] = "0"
    for name, value in wanted.items():
        if name == "CASEBRIDGE_DATA_DIR" or not env.get(name):
            env[name] = value
    return env


def worker_command() -> list[str]:
    """The background worker: django-tasks-db's db_worker in a child process."""
    return [sys.executable, "-m", "django", "db_worker", "--interval", "1"]


def address_in_use(host: str, port: int) -> str:
    """Why (host, port) cannot be listened on, or "" when it can: checked
    before the database is prepared, so a taken port costs nothing."""
    family = socket.AF_INET6 if ":" in host.strip("[]") else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host.strip("[]"), port))
        except OSError as error:
            return error.strerror or str(error)
    return ""


def url_for(host: str, port: int) -> str:
    shown = "127.0.0.1" if host in {"0.0.0.0", ""} else host  # nosec B104 - a URL shown
    if ":" in shown and not shown.startswith("["):
        shown = f"[{shown}]"
    return f"http://{shown}:{port}/"


class Workers:
    """The document workers, as child processes; one that died is started again."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.children: list[subprocess.Popen[bytes]] = []
        self._lock = threading.Lock()

    def start(self) -> None:
        with self._lock:
            self.children = [self._spawn() for _ in range(self.count)]

    @staticmethod
    def _spawn() -> subprocess.Popen[bytes]:
        return subprocess.Popen(worker_command(), env=dict(os.environ))  # noqa: S603

    def restart_dead(self, stopping: threading.Event) -> int:
        """Start again each worker that has exited; returns how many."""
        restarted = 0
        with self._lock:
            for index, child in enumerate(self.children):
                if child.poll() is not None and not stopping.is_set():
                    log.warning(
                        "document worker %d exited (%s): started again", index, child.returncode
                    )
                    self.children[index] = self._spawn()
                    restarted += 1
        return restarted

    def stop(self) -> None:
        with self._lock:
            for child in self.children:
                child.terminate()
            for child in self.children:
                try:
                    child.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    child.kill()
                    child.wait()


def apply_retention_if_due(last: float | None, now: float) -> float | None:
    """Run the retention job when a day has passed since `last` (None: never
    run); returns when it last ran. A failure is logged and tried next round."""
    if last is not None and now - last < RETENTION_EVERY_SECONDS:
        return last
    from casebridge.web.cases.retention import do_apply_retention

    try:
        run = do_apply_retention()
    except Exception:  # noqa: BLE001 - keep the loop alive; the next round retries
        log.exception("the retention job failed")
        return last
    if run.erased:
        log.warning("retention: %s", run.lines()[-1])
    return now


def _requeue_loop(stop: threading.Event, workers: Workers | None = None) -> None:
    import time

    from django.db import close_old_connections

    from casebridge.web.cases.tasks import requeue_stale_documents

    retained: float | None = None
    while not stop.wait(REQUEUE_EVERY_SECONDS):
        if workers is not None:
            workers.restart_dead(stop)
        try:
            close_old_connections()
            ids = requeue_stale_documents()
            if ids:
                log.warning("re-queued %d document(s) a worker left behind", len(ids))
        except Exception:  # noqa: BLE001 - keep the loop alive; the next round retries
            log.exception("re-queueing stale documents failed")
        finally:
            close_old_connections()
        retained = apply_retention_if_due(retained, time.monotonic())
        close_old_connections()


def prepare(*, demo: bool, url: str) -> str:
    """Migrate the database; with demo, seed the demo (its logins and records).
    Django must be set up. Returns what to print."""
    from django.conf import settings
    from django.core.management import call_command

    from casebridge.web.keys import secure_data_dir

    call_command("migrate", interactive=False, verbosity=0)  # also the cache table
    secure_data_dir(settings.DATA_DIR)  # the database file migrate may have just made
    if not demo:
        return f"casebridge at {url} (coordinator console: {url}console/)"
    from casebridge.web.console.demo import describe, seed_demo

    return describe(seed_demo(), url)


def _stop_on_sigterm(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # unwinds main(), which stops the worker


def main(
    host: str = "127.0.0.1",
    port: int = 8000,
    demo: bool = False,
    *,
    data_dir: Path | None = None,
    worker: bool = True,
    workers: int | None = None,
    threads: int = DEFAULT_THREADS,
    document_workers: int | None = None,
) -> int:
    """Run the platform until interrupted; returns an exit code (0 on Ctrl-C,
    1 when it cannot start, with the reason printed)."""
    # Whatever this process and its children create (database, -wal, keys,
    # files) is readable by this user only.
    os.umask(0o077)
    os.environ.update(serve_environment(demo=demo, host=host, data_dir=data_dir))
    import django
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    try:
        django.setup()
    except ImproperlyConfigured as error:
        print(f"casebridge serve: cannot start: {error}", file=sys.stderr)
        return 1
    url = url_for(host, port)
    taken = address_in_use(host, port)
    if taken:
        print(
            f"casebridge serve: cannot listen on {host} port {port}: {taken}. "
            "Stop what uses it, or choose another with --port.",
            file=sys.stderr,
        )
        return 1
    if demo and is_loopback(host):
        # A demo on this machine is reached over plain http: cookies marked
        # Secure would not be sent back by every browser.
        settings.SESSION_COOKIE_SECURE = False
        settings.CSRF_COOKIE_SECURE = False
    if not is_loopback(host) and not os.environ.get("CASEBRIDGE_ALLOWED_HOSTS"):
        print(
            "casebridge serve: listening beyond this machine: set CASEBRIDGE_ALLOWED_HOSTS "
            "to the names people will use, and put an https proxy in front.",
            file=sys.stderr,
        )
    try:
        banner = prepare(demo=demo, url=url)
    except Exception as error:  # noqa: BLE001 - a plain reason, not a traceback
        print(f"casebridge serve: could not prepare the database: {error}", file=sys.stderr)
        return 1
    print(banner, flush=True)
    images = start_image_server()

    workers_running: Workers | None = None
    stop = threading.Event()
    if worker:
        workers_running = Workers(document_workers or default_document_workers())
        workers_running.start()
        threading.Thread(target=_requeue_loop, args=(stop, workers_running), daemon=True).start()
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _stop_on_sigterm)
    try:
        run_web_server(host, port, workers=workers or default_workers(), threads=threads)
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        if workers_running is not None:
            workers_running.stop()
        if images:
            from casebridge.web.cases.orthanc import stop_embedded

            stop_embedded()
    return 0


def start_image_server() -> bool:
    """The embedded Orthanc for the reviewers' image viewer, on loopback (part
    of the embedded default). Without it the platform still runs: a pack with
    DICOM images then fails with the reason. Returns whether it was started here."""
    from django.conf import settings

    from casebridge.web.cases import orthanc

    if settings.ORTHANC_URL:
        return False
    try:
        orthanc.ensure_embedded()
    except orthanc.OrthancError as error:
        print(f"casebridge serve: no image viewer: {error}", file=sys.stderr)
        return False
    return True


def gunicorn_options(host: str, port: int, *, workers: int, threads: int) -> dict[str, object]:
    address = f"[{host.strip('[]')}]" if ":" in host.strip("[]") else host
    return {
        "bind": [f"{address}:{port}"],
        "workers": workers,
        "worker_class": "gthread" if threads > 1 else "sync",
        "threads": threads,
        # A page that takes longer than this is a fault: the process is replaced.
        "timeout": 120,
        "graceful_timeout": 20,
        "accesslog": "-" if os.environ.get("CASEBRIDGE_ACCESS_LOG") == "1" else None,
        "errorlog": "-",
        "loglevel": os.environ.get("CASEBRIDGE_LOG_LEVEL", "info").lower(),
        "proc_name": "casebridge",
        # No control socket in the home folder: stopping is SIGINT or SIGTERM.
        "control_socket_disable": True,
        # The https proxy in front of an installation sets X-Forwarded-*; a demo
        # on this machine has none.
        "forwarded_allow_ips": os.environ.get("CASEBRIDGE_FORWARDED_ALLOW_IPS", "127.0.0.1"),
    }


def run_web_server(host: str, port: int, *, workers: int, threads: int) -> None:
    """gunicorn on casebridge.web.wsgi in this process (its arbiter), until
    SIGINT or SIGTERM. Django is set up; its connections are closed first so
    that no web process inherits this one's."""
    from django.db import connections
    from gunicorn.app.base import BaseApplication

    connections.close_all()
    options = gunicorn_options(host, port, workers=workers, threads=threads)

    class _Server(BaseApplication):
        def load_config(self) -> None:
            for name, value in options.items():
                # A setting this gunicorn does not have (the control socket
                # came in a later release) is a feature it lacks: skip it.
                if value is not None and name in self.cfg.settings:
                    self.cfg.set(name, value)

        def load(self) -> object:
            from casebridge.web.wsgi import application

            return application

    try:
        _Server().run()
    except SystemExit as stopped:
        if stopped.code not in (0, None):
            raise
