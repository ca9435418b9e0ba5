"""Orthanc, the DICOM server that holds the de-identified images reviewers open
(issue 11, part 5b).

Embedded default: casebridge starts its own Orthanc (Debian package `orthanc`,
with the `orthanc-webviewer` plugin, and `orthanc-wsi` for pathology slides) on loopback, with a generated password
and its database and files in the data folder; nothing else reaches it, and
casebridge's review app proxies the viewer through the access gate
(review/views_images.py). At scale, CASEBRIDGE_ORTHANC_URL (with
CASEBRIDGE_ORTHANC_USER / _PASSWORD) names a server run elsewhere (its
PostgreSQL plugin for the index), never reachable from outside either.

Only de-identified copies are kept in Orthanc: an uploaded study goes in, is
anonymised with the case pseudonym as patient name and id (Orthanc's own
anonymisation, DICOM PS3.15 basic profile), and the original is deleted again;
the uploaded file stays encrypted in casebridge's store.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import logging
import os
import secrets
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings

log = logging.getLogger(__name__)

PLUGIN_DIRS = ("/usr/share/orthanc/plugins", "/usr/lib/orthanc")
# the web viewer, and orthanc-wsi's viewer of whole-slide images (digital
# pathology); nothing else is served: no DICOMweb, no WebDAV
PLUGINS = ("libOrthancWebViewer.so", "libOrthancWSI.so")
# Overlay groups 6000-601E: description, comments, label, data (a bitmap).
OVERLAY_TAGS = [
    f"{group:04X},{element}"
    for group in range(0x6000, 0x6020, 2)
    for element in ("0022", "4000", "1500", "3000")
]
START_SECONDS = 20.0
# What the embedded server always runs with: no DICOM network port, no remote
# peer (it still binds every interface: RemoteAccessAllowed refuses a remote
# peer once connected), a password, no WebDAV.
SAFE: dict[str, Any] = {
    "DicomServerEnabled": False,
    "RemoteAccessAllowed": False,
    "AuthenticationEnabled": True,
    "WebDavEnabled": False,
}
# the servers this process started, by data folder: stop_embedded waits for them
_STARTED: dict[str, subprocess.Popen[bytes]] = {}


class OrthancError(Exception):
    """Orthanc is not installed, did not start, or refused a request."""


@dataclass(frozen=True)
class Server:
    url: str  # http://127.0.0.1:port, no trailing slash
    user: str
    password: str

    def _request(
        self, method: str, path: str, data: bytes | None = None, timeout: float = 120.0
    ) -> tuple[int, dict[str, str], bytes]:
        request = urllib.request.Request(  # noqa: S310 - our own loopback (or configured) server
            self.url + path, data=data, method=method
        )
        token = base64.b64encode(f"{self.user}:{self.password}".encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
        if data is not None:
            request.add_header("Content-Type", "application/octet-stream")
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310  # nosec B310 - the URL is the configured Orthanc
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read()
        except (urllib.error.URLError, OSError) as error:
            raise OrthancError(f"Orthanc did not answer ({error}).") from None

    def json(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        status, _headers, content = self._request(method, path, data)
        if status >= 400:
            raise OrthancError(f"Orthanc refused {method} {path} ({status}).")
        return json.loads(content) if content else None

    def raw(self, path: str, query: str = "") -> tuple[int, dict[str, str], bytes]:
        return self._request("GET", path + (f"?{query}" if query else ""))

    def alive(self) -> bool:
        try:
            status, _h, _c = self._request("GET", "/system", timeout=2.0)
        except OrthancError:
            return False
        return status == 200

    # -- what casebridge does with it --------------------------------------------------

    def upload(self, data: bytes) -> list[str]:
        """Store DICOM bytes (one file, or a ZIP of them); the study ids made."""
        status, _h, content = self._request("POST", "/instances", data)
        if status >= 400:
            raise OrthancError("Orthanc could not read this file as DICOM.")
        answer = json.loads(content) if content else []
        answers = answer if isinstance(answer, list) else [answer]
        studies = {a.get("ParentStudy") for a in answers if a.get("Status") != "Failure"}
        return sorted(s for s in studies if s)

    def anonymise(self, study: str, pseudonym: str) -> str:
        """A de-identified copy of `study` named by the pseudonym; the new study id.
        Orthanc's basic profile (PS3.15, its 2021b table), plus the overlay
        groups it keeps: their descriptions, comments and bitmaps can carry a
        name (repeating groups 6000-601E)."""
        answer = self.json(
            "POST",
            f"/studies/{study}/anonymize",
            {
                "Replace": {"PatientName": pseudonym, "PatientID": pseudonym},
                "Remove": OVERLAY_TAGS,
                "KeepPrivateTags": False,
                "DicomVersion": "2021b",
                "Force": True,  # PatientID is replaced: Orthanc asks for Force
            },
        )
        return str(answer["ID"])

    def delete_study(self, study: str) -> None:
        status, _h, _c = self._request("DELETE", f"/studies/{study}")
        if status not in (200, 404):  # 404: already gone
            raise OrthancError(f"Orthanc did not delete a study ({status}).")

    def delete_instance(self, instance: str) -> None:
        status, _h, _c = self._request("DELETE", f"/instances/{instance}")
        if status not in (200, 404):  # 404: already gone
            raise OrthancError(f"Orthanc did not delete an instance ({status}).")

    def instance_tags(self, instance: str) -> dict[str, Any]:
        return dict(self.json("GET", f"/instances/{instance}/simplified-tags") or {})

    def series_of(self, study: str) -> list[dict[str, Any]]:
        return list(self.json("GET", f"/studies/{study}/series") or [])

    def first_tags(self, series: dict[str, Any]) -> dict[str, Any]:
        instances = series.get("Instances") or []
        if not instances:
            return {}
        return dict(self.json("GET", f"/instances/{instances[0]}/simplified-tags") or {})


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def binary() -> str | None:
    return shutil.which("Orthanc") or (
        "/usr/sbin/Orthanc" if Path("/usr/sbin/Orthanc").exists() else None
    )


def _plugins() -> list[str]:
    found = []
    for name in PLUGINS:
        for folder in PLUGIN_DIRS:
            path = Path(folder) / name
            if path.exists():
                found.append(str(path))
                break
    return found


def _folder() -> Path:
    folder = Path(settings.DATA_DIR) / "orthanc"
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder


def _embedded_config(folder: Path) -> dict[str, Any]:
    """The embedded server's settings, made once and kept in the data folder
    (mode 600: it holds the generated password)."""
    path = folder / "orthanc.json"
    if path.exists():
        config = dict(json.loads(path.read_text()))
        wanted = {**SAFE, "Plugins": _plugins()}
        if any(config.get(k) != v for k, v in wanted.items()):
            # an older or edited file: the safe settings and casebridge's plugins
            # again (one installed since, e.g. orthanc-wsi), whatever it said
            config.update(wanted)
            path.write_text(json.dumps(config, indent=2))
            path.chmod(0o600)
        return config
    config = {
        "Name": "casebridge",
        "StorageDirectory": str(folder / "db"),
        "IndexDirectory": str(folder / "db"),
        "HttpPort": int(getattr(settings, "ORTHANC_PORT", 0) or _free_port()),
        **SAFE,
        "RegisteredUsers": {"casebridge": secrets.token_urlsafe(24)},
        "HttpDescribeErrors": False,
        "Plugins": _plugins(),
    }
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(config, handle, indent=2)
    return config


def server() -> Server:
    """The configured Orthanc, started first when it is the embedded one."""
    url = getattr(settings, "ORTHANC_URL", "")
    if url:
        return Server(url.rstrip("/"), settings.ORTHANC_USER, settings.ORTHANC_PASSWORD)
    return ensure_embedded()


def ensure_embedded() -> Server:
    """Start the embedded Orthanc unless it already runs (one starter at a time:
    the web process and the workers may all ask)."""
    folder = _folder()
    with open(folder / "start.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        config = _embedded_config(folder)
        ((user, password),) = config["RegisteredUsers"].items()
        found = Server(f"http://127.0.0.1:{config['HttpPort']}", user, password)
        if found.alive():
            return found
        program = binary()
        if program is None:
            raise OrthancError(
                "Orthanc is not installed: scripts/install.sh installs the Debian packages "
                "orthanc, orthanc-webviewer and orthanc-wsi."
            )
        logfile = open(folder / "orthanc.log", "ab")  # noqa: SIM115 - the child keeps it
        _STARTED[str(folder)] = subprocess.Popen(  # noqa: S603 - a fixed program and our own config
            [program, str(folder / "orthanc.json")],
            stdout=logfile,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # outlives a worker that restarts
        )
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            if found.alive():
                return found
            time.sleep(0.2)
        raise OrthancError(f"Orthanc did not start; see {folder / 'orthanc.log'}.")


def stop_embedded() -> None:
    """Stop the embedded Orthanc (tests, and `casebridge serve` on exit)."""
    if getattr(settings, "ORTHANC_URL", ""):
        return
    path = Path(settings.DATA_DIR) / "orthanc" / "orthanc.json"
    if not path.exists():
        return
    config = json.loads(path.read_text())
    ((user, password),) = config["RegisteredUsers"].items()
    found = Server(f"http://127.0.0.1:{config['HttpPort']}", user, password)
    if found.alive():
        with contextlib.suppress(OrthancError):  # already stopping
            found.json("POST", "/tools/shutdown", {})
    child = _STARTED.pop(str(path.parent), None)
    if child is not None:  # started by this process: it is gone before we return
        try:
            child.wait(timeout=15)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
