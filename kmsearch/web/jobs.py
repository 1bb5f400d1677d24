"""Long uploads run on one background worker, off the threads that serve pages, with their
progress kept for a page that refreshes itself until the work is done."""

from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from flask import current_app

KEEP = 200  # finished jobs kept for their pages, oldest dropped first


@dataclass
class Job:
    """One piece of background work: whose it is, how far it got, and what it gave."""

    id: str
    owner: str
    label: str
    done: int = 0
    total: int = 0
    started: float = field(default_factory=time.monotonic)
    finished: float | None = None
    result: Any = None
    error: Exception | None = None

    @property
    def running(self) -> bool:
        return self.finished is None

    @property
    def seconds_left(self) -> int | None:
        """Time left at the pace so far, or None before the first step is done."""
        if not self.done or not self.total:
            return None
        elapsed = time.monotonic() - self.started
        return max(0, round(elapsed / self.done * (self.total - self.done)))

    def progress(self, done: int, total: int) -> None:
        self.done, self.total = done, total


class Jobs:
    """A single worker and the jobs it ran, for one application."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kmsearch-job")
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._lock = threading.Lock()

    def start(self, owner: str, label: str, work: Callable[[Callable[[int, int], None]], Any]
              ) -> Job:
        """Queue ``work(progress)``; its result or error is kept on the job."""
        job = Job(secrets.token_urlsafe(12), owner, label)
        with self._lock:
            self._jobs[job.id] = job
            while len(self._jobs) > KEEP:
                self._jobs.popitem(last=False)
        self._pool.submit(self._run, job, work)
        return job

    def get(self, job_id: str, owner: str) -> Job | None:
        """The job, if it exists and belongs to ``owner``; nobody else learns of it."""
        with self._lock:
            job = self._jobs.get(job_id)
        return job if job is not None and job.owner == owner else None

    @staticmethod
    def _run(job: Job, work: Callable[[Callable[[int, int], None]], Any]) -> None:
        try:
            job.result = work(job.progress)
        except Exception as error:  # kept for the page, which reports it as the error it is
            job.error = error
        finally:
            job.finished = time.monotonic()


def current_jobs() -> Jobs:
    """The application's background worker, made once; the lock keeps two first requests
    from making two."""
    with _MADE:
        return current_app.extensions.setdefault("kmsearch.jobs", Jobs())


_MADE = threading.Lock()
