"""No acknowledged contribution is lost: the real server (``kmsearch serve``) takes drafts,
submissions and publications from four signed-in clients, is killed with SIGKILL mid-write,
and after a restart every acknowledged save is in the database and every acknowledged
publication is found by search."""

import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

import pytest

from kmsearch.library import Library
from kmsearch.store.cases import Store

pytestmark = pytest.mark.model  # a copy of the web tests' library, indexed with the model

PASSWORD = "kill test passphrase"
LOAD_SECONDS = 4.0  # at least this long under load; longer until enough writes were acknowledged
MAX_LOAD_SECONDS = 120.0  # a busy machine answers slowly: wait for the writes, not the clock
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Client:
    """One signed-in browser session, over plain HTTP."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(CookieJar()), NoRedirect())

    def request(self, path: str, data: dict | None = None) -> tuple[int, str, str]:
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        try:
            with self.opener.open(self.base + path, body, timeout=30) as response:
                return response.status, response.headers.get("Location", ""), \
                    response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.headers.get("Location", ""), error.read().decode()

    def token(self, path: str = "/login") -> str:
        return TOKEN.search(self.request(path)[2]).group(1)

    def sign_in(self, username: str) -> None:
        status, _, _ = self.request("/login", {"csrf_token": self.token(), "username": username,
                                               "password": PASSWORD, "next": "/"})
        assert status == 303, f"{username} could not sign in ({status})"

    def post(self, path: str, data: dict) -> tuple[int, str, str]:
        return self.request(path, {"csrf_token": self.csrf} | data)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(settings, port: int, log: Path) -> subprocess.Popen:
    env = os.environ | {"KMSEARCH_SECRET_KEY": "kill-test-secret-key-0123456789",
                        "KMSEARCH_SESSION_COOKIE_SECURE": "0"}
    command = [str(Path(sys.executable).with_name("kmsearch")), "--db", str(settings.db_path),
               "--index-dir", str(settings.index_dir), "serve", "--port", str(port)]
    process = subprocess.Popen(command, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the server exited with {process.returncode}: {log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2):
                return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    pytest.fail(f"the server did not answer within 180 s: {log.read_text()[-2000:]}")


@pytest.fixture
def settings(library_copy):
    settings = library_copy("durability")
    library = Library(settings)
    for n in range(1, 5):
        library.accounts.add(f"writer{n}", PASSWORD,
                          roles=["contributor"], divisions=["trade"])
    library.accounts.add("publisher", PASSWORD, roles=["reviewer"])
    library.close()
    return settings


def note(title: str, action: str) -> dict:
    return {"title": title, "division": "trade", "status": "active", "visibility": "public",
            "risk_level": "low", "summary": f"{title}: a durability test note.",
            "body": f"## Context\n\n{title} was written while the server was being killed.\n\n"
                    "## What was done\n\nFour writers saved and submitted notes while a "
                    "reviewer published them and the server was killed again and again.",
            "lessons-1-kind": "lesson", "lessons-1-text": "Acknowledged writes must survive.",
            "partners-1-name": "Durable Data Ltd", "partners-1-type": "business",
            "start_year": "2024",
            "action": action}


def test_every_acknowledged_write_survives_a_killed_server(settings, tmp_path):
    port, log = free_port(), tmp_path / "server.log"
    base = f"http://127.0.0.1:{port}"
    server = start_server(settings, port, log)
    saved: dict[str, int] = {}  # case id -> lowest revision acknowledged
    submitted: list[str] = []
    published: set[str] = set()
    lock, stop = threading.Lock(), threading.Event()

    def write(n: int) -> None:
        client = Client(base)
        client.sign_in(f"writer{n}")
        client.csrf = client.token("/contribute/new")
        for i in range(10_000):
            if stop.is_set():
                return
            action = "submit" if i % 2 else "save"
            try:
                status, location, _ = client.post("/contribute/new",
                                                  note(f"Killtest w{n} n{i}", action))
            except (OSError, http.client.HTTPException):
                return
            if status == 303:
                case_id = re.search(r"/contribute/([^/?]+)", location).group(1)
                with lock:
                    saved[case_id] = 2 if action == "submit" else 1
                    if action == "submit":
                        submitted.append(case_id)

    def publish() -> None:
        client = Client(base)
        client.sign_in("publisher")
        client.csrf = client.token("/review")
        while not stop.is_set():
            with lock:
                waiting = submitted[:]
                submitted.clear()
            for case_id in waiting:
                try:
                    status, _, _ = client.post(f"/review/{case_id}/publish", {"comment": "ok"})
                except (OSError, http.client.HTTPException):
                    return
                if status == 303:
                    with lock:
                        published.add(case_id)
                        saved[case_id] = 3
            time.sleep(0.05)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(1, 5)]
    threads.append(threading.Thread(target=publish))
    for thread in threads:
        thread.start()
    started = time.monotonic()
    while time.monotonic() - started < MAX_LOAD_SECONDS:
        time.sleep(0.25)
        with lock:
            enough = len(saved) >= 12 and published
        if enough and time.monotonic() - started >= LOAD_SECONDS:
            break
    server.send_signal(signal.SIGKILL)  # mid-write: the clients are still sending
    server.wait(timeout=30)
    stop.set()
    for thread in threads:
        thread.join(timeout=60)
    assert len(saved) >= 8 and published, f"too little load: {len(saved)} saves, " \
        f"{len(published)} published; see {log}"

    store = Store(settings.db_path)
    try:
        for case_id, revision in saved.items():
            stored = store.get_case(case_id)
            assert stored is not None, f"acknowledged save of {case_id} lost"
            assert stored.revision >= revision, f"{case_id} lost revision {revision}"
        assert {case_id for case_id in published
                if store.get_case(case_id).state == "published"} == published
    finally:
        store.close()

    server = start_server(settings, port, log)  # syncs the indexes with the database at start
    try:
        found: set[str] = set()
        for page in range(1, 100):
            status, _, text = Client(base).request(
                f"/api/v1/search?q=killtest&mode=keyword&type=case&per_page=100&page={page}")
            assert status == 200
            hits = json.loads(text)["hits"]
            found |= {hit["id"] for hit in hits}
            if len(hits) < 100:
                break
        assert published <= found, f"published but not searchable: {sorted(published - found)}"
        store = Store(settings.db_path)
        in_database = set(store.case_ids(states=("published",)))
        store.close()
        assert found == {case_id for case_id in in_database if case_id.startswith("killtest-")}
        assert "Traceback" not in log.read_text(), log.read_text()[-3000:]
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
