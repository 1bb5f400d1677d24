"""Soak run: drive a real ``kmsearch serve`` on 127.0.0.1 with 20 clients for N minutes.

Builds a temporary instance from the shipped corpus, starts the server on a free port, and runs
mixed traffic: searches, page views, drafts, submissions, publications and uploads, hostile files
included (a YAML alias bomb in a Markdown file and a zip-bomb workbook). Then it checks that
every acknowledged write is in the database, that search holds exactly the published notes,
that no request got a 5xx, and that the server's peak memory stayed bounded; it prints requests,
errors, p50/p95/p99 per kind, the search p95 while uploads were running, and peak RSS.

    .venv/bin/python benchmarks/soak.py --minutes 10 --clients 20

Every request loop is bounded (a deadline and a request budget per client); the server is
stopped at the end, or at once when its memory passes ``--rss-limit-mb``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from http.cookiejar import CookieJar
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from soak_files import alias_bomb_markdown, note_markdown, notes_csv, zip_bomb_xlsx  # noqa: E402

from kmsearch.config import Settings  # noqa: E402
from kmsearch.library import Library  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
KMSEARCH = Path(sys.executable).with_name("kmsearch")
PASSWORD = "soak test passphrase"
CHECKER = "soakcheck"  # the reviewer the final check signs in as, whatever the clients' roles
DIVISIONS = ("trade", "transport", "environment", "statistics")
MAX_REQUESTS_PER_CLIENT = 50_000
QUERIES = [line.strip() for line in (ROOT / "benchmarks" / "queries.txt").read_text().splitlines()
           if line.strip() and not line.startswith("#")]
PAGES = ("/", "/recommendations", "/good-practices", "/search?q=data+sharing",
         "/nexus/smart-cities", "/sdgs/5", "/divisions/transport")


@dataclass
class Ledger:
    """What the server acknowledged, and every request's timing, shared by the clients."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    timings: dict[str, list[float]] = field(default_factory=dict)
    statuses: dict[str, dict[int, int]] = field(default_factory=dict)
    server_errors: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    states: dict[str, str] = field(default_factory=dict)  # case id -> last acknowledged state
    submitted: list[str] = field(default_factory=list)  # waiting for a reviewer
    uploads_running: int = 0
    searches_during_uploads: list[float] = field(default_factory=list)
    bombs: list[str] = field(default_factory=list)

    def record(self, kind: str, status: int, seconds: float, during_upload: bool) -> None:
        with self.lock:
            self.timings.setdefault(kind, []).append(seconds)
            counts = self.statuses.setdefault(kind, {})
            counts[status] = counts.get(status, 0) + 1
            if kind.startswith("search") and during_upload:
                self.searches_during_uploads.append(seconds)

    def acknowledge(self, case_id: str, state: str) -> None:
        with self.lock:
            self.states[case_id] = state
            if state == "submitted":
                self.submitted.append(case_id)

    def next_submitted(self) -> str | None:
        with self.lock:
            return self.submitted.pop(0) if self.submitted else None


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


class Client:
    """One browser: a cookie jar, a CSRF token, timed requests recorded in the ledger."""

    def __init__(self, base: str, ledger: Ledger):
        self.base, self.ledger = base, ledger
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(CookieJar()), NoRedirect())
        self.token = ""
        self.last_error = ""

    def request(self, kind: str, path: str, data: bytes | None = None,
                content_type: str = "application/x-www-form-urlencoded",
                timeout: float = 120) -> tuple[int, str, str]:
        """(status, body, Location) of one request; a 5xx or a dropped connection is noted."""
        headers = {"Content-Type": content_type} if data is not None else {}
        if data is not None and self.token:
            headers["X-CSRFToken"] = self.token
        req = urllib.request.Request(self.base + path, data=data, headers=headers)
        with self.ledger.lock:
            during = self.ledger.uploads_running > 0
        start = time.perf_counter()
        try:
            with self.opener.open(req, timeout=timeout) as response:
                status, body, location = response.status, response.read(), ""
        except urllib.error.HTTPError as error:
            status, body, location = error.code, error.read(), error.headers.get("Location", "")
        except OSError as error:
            status, body, location = 599, str(error).encode(), ""
            self.last_error = f"{type(error).__name__}: {error}"
        seconds = time.perf_counter() - start
        with self.ledger.lock:
            during = during or self.ledger.uploads_running > 0
        self.ledger.record(kind, status, seconds, during)
        if status >= 500:
            with self.ledger.lock:
                self.ledger.server_errors.append(f"{kind} {path[:80]}: {status}")
        text = body.decode("utf-8", "replace")
        if "csrf_token" in text:
            found = re.search(r'name="csrf_token" value="([^"]+)"', text)
            self.token = found.group(1) if found else self.token
        return status, text, location

    def form(self, kind: str, path: str, fields: dict | list) -> tuple[int, str, str]:
        data = urllib.parse.urlencode(fields, doseq=True).encode()
        return self.request(kind, path, data)

    def sign_in(self, username: str) -> None:
        self.request("page", "/login")
        status, _, _ = self.form("sign-in", "/login", {
            "csrf_token": self.token, "username": username, "password": PASSWORD, "next": "/"})
        if status != 303:
            raise RuntimeError(f"{username} could not sign in: {status} {self.last_error}")
        self.request("page", "/")  # a fresh token for the signed-in session

    def upload(self, name: str, data: bytes, hostile: bool = False) -> tuple[int, str]:
        boundary = f"soak{random.getrandbits(64):x}"
        body = b"".join([
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n"
            f"{self.token}\r\n".encode(),
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; "
            f"filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n".encode(),
            data, f"\r\n--{boundary}--\r\n".encode(),
        ])
        with self.ledger.lock:
            self.ledger.uploads_running += 1
        try:
            status, text, _ = self.request("upload-hostile" if hostile else "upload",
                                           "/contribute/upload", body,
                                           f"multipart/form-data; boundary={boundary}")
        finally:
            with self.ledger.lock:
                self.ledger.uploads_running -= 1
        return status, text


def reader(client: Client, rng: random.Random) -> None:
    if rng.random() < 0.6:
        query = urllib.parse.quote_plus(rng.choice(QUERIES))
        mode = rng.choice(("hybrid", "hybrid", "keyword", "semantic"))
        client.request("search", f"/api/v1/search?q={query}&mode={mode}")
    else:
        client.request("page", rng.choice(PAGES))


def contributor(client: Client, rng: random.Random, me: str, division: str,
                drafts: list[str], bombs: dict[str, bytes]) -> None:
    roll = rng.random()
    if roll < 0.45:
        reader(client, rng)
    elif roll < 0.62:
        title = f"Soak note {me} {rng.getrandbits(40):x} on shared freight data"
        status, _, location = client.form("draft", "/contribute/new", {
            "csrf_token": client.token, "title": title, "division": division,
            "status": "active", "visibility": rng.choice(("public", "internal")),
            "risk_level": "low", "partners-1-name": "Soak Logistics", "partners-1-type":
            "business", "sdgs": ["9"], "start_year": "2024", "body": f"## Context\n\n{title}. " * 5,
            "action": "save"})
        found = re.search(r"/contribute/([^/?]+)/edit\?saved=", location or "")
        if status == 303 and found:
            client.ledger.acknowledge(found.group(1), "draft")
            drafts.append(found.group(1))
    elif roll < 0.75 and drafts:
        case_id = drafts.pop(rng.randrange(len(drafts)))
        status, _, _ = client.form("submit", f"/contribute/{case_id}/submit",
                                   {"csrf_token": client.token})
        if status == 303:
            client.ledger.acknowledge(case_id, "submitted")
    elif roll < 0.86:
        if bombs and rng.random() < 0.25:
            name = rng.choice(sorted(bombs))
            start = time.perf_counter()
            status, _ = client.upload(name, bombs[name], hostile=True)
            took = time.perf_counter() - start
            with client.ledger.lock:
                client.ledger.bombs.append(f"{name}: {status} in {took:.2f} s")
            return
        name, data = (("note.md", note_markdown(me, division, rng)) if rng.random() < 0.5
                      else ("notes.csv", notes_csv(me, division, rng, rows=3)))
        status, text = client.upload(name, data)
        if status == 200:
            for case_id in re.findall(r'<li><a href="/contribute/([^"/?]+)">', text):
                client.ledger.acknowledge(case_id, "draft")
                drafts.append(case_id)
    else:
        client.request("page", "/my-notes")


def reviewer(client: Client, rng: random.Random) -> None:
    case_id = client.ledger.next_submitted()
    if case_id is None or rng.random() < 0.3:
        client.request("page", "/review") if rng.random() < 0.3 else reader(client, rng)
        if case_id:
            with client.ledger.lock:
                client.ledger.submitted.append(case_id)
        return
    status, _, _ = client.form("publish", f"/review/{case_id}/publish",
                               {"csrf_token": client.token})
    if status == 303:
        client.ledger.acknowledge(case_id, "published")
    else:
        with client.ledger.lock:
            client.ledger.failures.append(f"publish {case_id}: {status}")


def run_client(number: int, base: str, ledger: Ledger, deadline: float,
               bombs: dict[str, bytes], roles: list[str] | None = None) -> None:
    rng = random.Random(number)
    client = Client(base, ledger)
    role, me = client_role(number, roles)
    division = DIVISIONS[number % len(DIVISIONS)]
    try:
        client.sign_in(me)
    except RuntimeError as error:
        ledger.failures.append(str(error))
        return
    drafts: list[str] = []
    for _ in range(MAX_REQUESTS_PER_CLIENT):
        if time.monotonic() >= deadline:
            break
        if role == "reviewer":
            reviewer(client, rng)
        elif role == "reader":
            reader(client, rng)
        else:
            contributor(client, rng, me, division, drafts, bombs)


def client_role(number: int, roles: list[str] | None = None) -> tuple[str, str]:
    """Client ``number``'s role and username: ``roles[number]`` when given, else three
    reviewers and three readers in twenty."""
    if roles:
        role = roles[number]
        return role, {"reviewer": "rev", "reader": "read"}.get(role, "con") + str(number)
    if number % 7 == 3:
        return "reviewer", f"rev{number}"
    if number % 7 == 5:
        return "reader", f"read{number}"
    return "contributor", f"con{number}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def kmsearch(env: dict, *args: str, stdin: str | None = None) -> None:
    subprocess.run([str(KMSEARCH), *args], env=env, input=stdin, text=True, check=True,
                   stdout=subprocess.DEVNULL)


def build_instance(directory: Path, clients: int, roles: list[str] | None = None) -> dict:
    env = os.environ | {
        "KMSEARCH_DB": str(directory / "kmsearch.db"),
        "KMSEARCH_INDEX_DIR": str(directory / "indexes"),
        "KMSEARCH_CORPUS_DIR": str(ROOT / "corpus"),
        "KMSEARCH_SECRET_KEY": "soak-run-secret-key-0123456789",
        "KMSEARCH_SESSION_COOKIE_SECURE": "0",
        "KMSEARCH_LOGIN_RATE_LIMIT": "1000 per minute",
    }
    kmsearch(env, "init")
    kmsearch(env, "ingest")
    library = Library(Settings.from_env(env))
    for number in range(clients):
        role, name = client_role(number, roles)
        divisions = [DIVISIONS[number % len(DIVISIONS)]] if role == "contributor" else []
        library.accounts.add(name, PASSWORD, roles=[role if role != "reader" else "viewer"],
                             divisions=divisions)
    library.accounts.add(CHECKER, PASSWORD, roles=["reviewer"], divisions=[])
    library.close()
    return env


class Memory:
    """Samples the server's resident memory; ends the run when it passes the limit."""

    def __init__(self, process: subprocess.Popen, limit_mb: int):
        self.process, self.limit_mb = process, limit_mb
        self.peak_mb = 0.0
        self.exceeded = False
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self.stop.wait(0.25):
            rss = read_status(self.process.pid, "VmRSS")
            self.peak_mb = max(self.peak_mb, rss, read_status(self.process.pid, "VmHWM"))
            if rss > self.limit_mb:
                self.exceeded = True
                self.process.kill()
                return


def read_status(pid: int, key: str) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def wait_until_up(base: str, process: subprocess.Popen, timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(base + "/api/v1/taxonomy", timeout=5):
                return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError("the server did not answer in time")


def searchable_cases(client: Client) -> set[str]:
    """Every case note search finds for a reviewer, who may see all published notes."""
    found: set[str] = set()
    for page in range(1, 1000):
        status, text, _ = client.request(
            "check", f"/api/v1/search?q=&type=case&sort=date&per_page=100&page={page}")
        if status != 200:
            raise RuntimeError(f"search check answered {status}")
        hits = json.loads(text)["hits"]
        found |= {hit["id"] for hit in hits}
        if len(hits) < 100:
            return found
    return found


def check(db_path: Path, ledger: Ledger, base: str) -> list[str]:
    """Problems found: lost writes, and search not holding exactly the published notes."""
    print("checking the database and the search index ...", flush=True)
    problems = []
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as db:
        states = dict(db.execute("SELECT id, state FROM cases"))
    order = {"draft": 0, "submitted": 1, "published": 2}
    for case_id, acknowledged in ledger.states.items():
        state = states.get(case_id)
        if state is None or order.get(state, -1) < order[acknowledged]:
            problems.append(f"lost write: {case_id} acknowledged {acknowledged}, found {state}")
    client = Client(base, ledger)
    client.sign_in(CHECKER)
    published = {case_id for case_id, state in states.items() if state == "published"}
    searchable = searchable_cases(client)
    print(f"published in the database: {len(published)} notes; found by search: "
          f"{len(searchable)}; in both: {len(published & searchable)}")
    if searchable != published:
        problems.append(f"search holds {len(searchable)} notes, the database publishes "
                        f"{len(published)}: missing {sorted(published - searchable)[:5]}, "
                        f"extra {sorted(searchable - published)[:5]}")
    return problems


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else 0.0


def report(ledger: Ledger, memory: Memory, seconds: float, problems: list[str]) -> dict:
    total = sum(len(v) for v in ledger.timings.values())
    print(f"\nsoak: {total:,} requests in {seconds:.0f} s ({total / seconds:.1f}/s), "
          f"{len(ledger.server_errors)} server errors (5xx or dropped)")
    print(f"{'kind':<16}{'requests':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}  statuses")
    for kind in sorted(ledger.timings):
        values = ledger.timings[kind]
        statuses = ", ".join(f"{s}: {n}" for s, n in sorted(ledger.statuses[kind].items()))
        print(f"{kind:<16}{len(values):>9}{percentile(values, .5):>9.1f}"
              f"{percentile(values, .95):>9.1f}{percentile(values, .99):>9.1f}  {statuses}")
    during = ledger.searches_during_uploads
    print(f"search p95 while uploads ran: {percentile(during, .95):.1f} ms "
          f"({len(during)} searches)")
    print(f"acknowledged writes: {len(ledger.states)} notes "
          f"({sum(s == 'published' for s in ledger.states.values())} published)")
    for line in ledger.bombs[:10]:
        print(f"hostile upload {line}")
    print(f"server peak RSS: {memory.peak_mb:,.0f} MB"
          + (f" (passed the {memory.limit_mb} MB limit: killed)" if memory.exceeded else ""))
    for line in (ledger.server_errors[:10] + ledger.failures[:10] + problems):
        print(f"PROBLEM {line}")
    return {
        "requests": total, "seconds": round(seconds), "server_errors": len(ledger.server_errors),
        "kinds": {kind: {"requests": len(v), "p50_ms": percentile(v, .5),
                         "p95_ms": percentile(v, .95), "p99_ms": percentile(v, .99)}
                  for kind, v in ledger.timings.items()},
        "search_p95_during_uploads_ms": percentile(during, .95),
        "acknowledged_notes": len(ledger.states), "peak_rss_mb": round(memory.peak_mb),
        "hostile_uploads": ledger.bombs, "problems": problems,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--threads", type=int, default=8, help="server threads")
    parser.add_argument("--no-bombs", action="store_true", help="leave out the hostile files")
    parser.add_argument("--roles", help="one role per client, comma-separated (contributor, "
                        "reviewer, reader), e.g. contributor,reader,reader,reader: searches "
                        "beside uploads without publications re-indexing")
    parser.add_argument("--rss-limit-mb", type=int, default=3000,
                        help="kill the server and fail when its memory passes this")
    args = parser.parse_args()

    roles = [r.strip() for r in args.roles.split(",")] if args.roles else None
    if roles:
        unknown = set(roles) - {"contributor", "reviewer", "reader"}
        if unknown:
            parser.error(f"--roles: unknown role {sorted(unknown)[0]!r}; expected contributor, "
                         "reviewer or reader")
        args.clients = len(roles)
    bombs = {} if args.no_bombs else {"alias-bomb.md": alias_bomb_markdown(levels=8),
                                      "zip-bomb.xlsx": zip_bomb_xlsx(megabytes=300)}
    with tempfile.TemporaryDirectory(prefix="kmsearch-soak-") as tmp:
        directory = Path(tmp)
        print(f"building an instance from {ROOT / 'corpus'} in {directory} ...", flush=True)
        env = build_instance(directory, args.clients, roles)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        log = (directory / "server.log").open("w")
        server = subprocess.Popen(
            [str(KMSEARCH), "serve", "--host", "127.0.0.1", "--port", str(port),
             "--threads", str(args.threads)],
            env=env, stdout=subprocess.DEVNULL, stderr=log)
        memory = Memory(server, args.rss_limit_mb)
        try:
            wait_until_up(base, server)
            memory.thread.start()
            ledger = Ledger()
            print(f"{args.clients} clients for {args.minutes:g} minutes on {base} ...",
                  flush=True)
            started = time.monotonic()
            deadline = started + args.minutes * 60
            threads = [threading.Thread(target=run_client,
                                        args=(n, base, ledger, deadline, bombs, roles))
                       for n in range(args.clients)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=args.minutes * 60 + 300)
            seconds = time.monotonic() - started
            alive = server.poll() is None
            if memory.exceeded:
                problems = ["the server was killed: memory limit"]
            elif not alive:
                problems = [f"the server stopped by itself (exit status {server.returncode})"]
            else:
                try:
                    problems = check(directory / "kmsearch.db", ledger, base)
                except RuntimeError as error:  # the figures above still count; say what failed
                    problems = [f"the final check could not run: {error}"]
        finally:
            memory.stop.set()
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
            log.close()
        if problems or ledger.server_errors:  # keep the server log beside the figures
            out = ROOT / "benchmarks" / "results"
            out.mkdir(exist_ok=True)
            log_copy = out / f"soak-{time.strftime('%Y%m%dT%H%M%S')}-server.log"
            log_copy.write_bytes((directory / "server.log").read_bytes())
            print(f"server log kept in {log_copy}")
        results = report(ledger, memory, seconds, problems)
        out = ROOT / "benchmarks" / "results"
        out.mkdir(exist_ok=True)
        (out / f"soak-{time.strftime('%Y%m%dT%H%M%S')}.json").write_text(
            json.dumps(results, indent=2))
    failed = problems or ledger.server_errors or ledger.failures
    print("soak: FAILED" if failed else "soak: passed (0 lost writes, 0 server errors)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
