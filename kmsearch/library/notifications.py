"""Notifications as the web and the CLI use them: each user's list, follows and their digests,
and the outbox's delivery; ``Courier`` runs the last two in the background of ``serve``."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, quote, urlencode

from ..access import Viewer
from ..errors import Forbidden, NotFound, Problem, ValidationError
from ..search.request import Limits, parse_search_request
from ..store.accounts import get_user, viewer_for
from ..store.notices import FOLLOW_KINDS, FREQUENCIES, Follow, Mail, Notices, Notification, utcnow
from ..store.schema import row_id
from ..workflow.mailer import Delivery, deliver
from ..workflow.notifying import Notifying

if TYPE_CHECKING:
    from . import Library

__all__ = ["Courier", "FollowView", "Mail", "Notification", "Notifications", "search_target"]
log = logging.getLogger(__name__)
MAX_QUERY = 2000  # characters of a followed search's query string
DIGEST_LISTED = 20  # notes a digest lists in the notification list (its e-mail lists them all)
# a follow's kind -> (its taxonomy vocabulary, the path of its pages)
LINK = {"division": ("divisions", "divisions"), "nexus": ("nexus_areas", "nexus")}


@dataclass(frozen=True)
class FollowView:
    """A follow as its owner sees it: what it is called and where it leads."""

    follow: Follow
    label: str
    link: str


class Notifications:
    """Per-user notifications, follows and digests, and the outbox; bound to one library."""

    def __init__(self, library: Library):
        self.library = library
        self.notices = Notices(library.store)
        self.notifying = Notifying(library.store, library.taxonomy, library.settings)

    # The user's list

    def of(self, viewer: Viewer) -> list[Notification]:
        """The viewer's notifications, newest first."""
        return self.notices.of_user(_signed_in(viewer)) if viewer.signed_in else []

    def unread(self, viewer: Viewer) -> int:
        return self.notices.unread_count(viewer.username) if viewer.signed_in else 0

    def mark_read(self, viewer: Viewer, ids: list[int] | None = None) -> int:
        """Mark the viewer's notifications ``ids`` (every one, for None) read."""
        username = _signed_in(viewer)
        return self.notices.mark_read(username, None if ids is None else filter(row_id, ids))

    # Follows

    def follow(self, viewer: Viewer, kind: str, target: str, frequency: str = "weekly") -> Follow:
        """Follow a recommendation, a division, a nexus area or a search (its query string);
        following again changes the frequency. Every wrong value is one problem."""
        username = _signed_in(viewer)
        kind, target, frequency = (str(v or "").strip() for v in (kind, target, frequency))
        problems = []
        if frequency not in FREQUENCIES:
            problems.append(Problem("follow", "frequency", f"expected daily or weekly, "
                                    f"not {frequency[:20]!r}"))
        if kind not in FOLLOW_KINDS:
            problems.append(Problem("follow", "kind", f"expected one of "
                                    f"{', '.join(FOLLOW_KINDS)}, not {kind[:20]!r}"))
        else:
            target = self._target(kind, target, problems)
        if problems:
            raise ValidationError(problems)
        return self.notices.follow(username, kind, target, frequency)

    def unfollow(self, viewer: Viewer, follow_id: int) -> None:
        username = _signed_in(viewer)
        if not row_id(follow_id) or not self.notices.unfollow(username, follow_id):
            raise NotFound(f"You follow nothing numbered {str(follow_id)[:20]}.")

    def follows(self, viewer: Viewer) -> list[FollowView]:
        """The viewer's follows with a label and a link each."""
        if not viewer.signed_in:
            return []
        return [self._view(f) for f in self.notices.follows(viewer.username)]

    def following(self, viewer: Viewer, kind: str, target: str) -> Follow | None:
        """The viewer's follow of this target, if any: what a Follow button shows."""
        return next((f.follow for f in self.follows(viewer)
                     if (f.follow.kind, f.follow.target) == (kind, target)), None)

    # Digests

    def send_digests(self, frequency: str | None = None, at: datetime | None = None) -> int:
        """A digest for each follow that is due (of ``frequency``, if given) and has new or
        changed published notes its owner may see; returns how many were sent."""
        at = at or utcnow()
        sent = 0
        for follow in self.notices.follows():
            if (frequency is None or follow.frequency == frequency) and follow.due(at):
                sent += self._digest(follow, at)
        return sent

    def _digest(self, follow: Follow, at: datetime) -> int:
        # Someone signed in by a trusted proxy, without an account here, reads as a viewer.
        store = self.library.store
        user = get_user(store, follow.username)
        reader = viewer_for(store, follow.username)
        notes = self._new_notes(follow, reader) if reader.signed_in else []
        view = self._view(follow)
        with self.library.store.write() as db:
            self.notices.digested(db, follow.id, at)
            if not notes:
                return 0
            title = f"{len(notes)} new or changed note{'s' * (len(notes) > 1)}: {view.label}"
            lines = [f"- {s.note.title}\n  {self.notifying.url('/cases/' + quote(s.id))}"
                     for s in notes]
            self.notices.add(db, reader.username, "digest", title, link=view.link, body="\n".join(
                f"/cases/{quote(s.id)}\t{s.note.title}" for s in notes[:DIGEST_LISTED]))
            if user is None:
                return 1
            self.notifying.mail(db, user, title, "\n".join([
                f"Since {follow.last_digest_at[:10]}, for {view.label} "
                f"({follow.frequency} digest):", "", *lines, "",
                f"Follow it: {self.notifying.url(view.link)}"]))
        return 1

    def _new_notes(self, follow: Follow, viewer: Viewer) -> list:
        """Published notes this viewer may see, changed since the follow's last digest."""
        library = self.library
        if follow.kind == "search":
            ids = self._search_ids(follow.target, viewer)
        else:
            ids = library.store.case_ids_for(follow.kind, follow.target)
        found = (library.store.get_case(case_id) for case_id in dict.fromkeys(ids))
        return sorted((s for s in found if library.visible(s, viewer)
                       and s.updated_at > follow.last_digest_at),
                      key=lambda s: (s.updated_at, s.id), reverse=True)

    def _search_ids(self, query: str, viewer: Viewer) -> list[str]:
        """The notes among the followed search's first results (keyword mode unless the
        saved search says otherwise: no model is loaded for a digest)."""
        search = self.library.search
        params = {k: v if len(v) > 1 else v[0] for k, v in parse_qs(query).items()}
        params.setdefault("mode", "keyword")
        request = parse_search_request(params, self.library.taxonomy, search.limits)
        request = replace(request, page=1, per_page=search.limits.max_per_page)
        return [hit.doc.case_id for hit in search.search(request, viewer).hits]

    # The outbox

    def send_outbox(self, at: datetime | None = None, *, every: bool = False) -> Delivery:
        """Deliver the due messages of the outbox (every pending one with ``every``)."""
        return deliver(self.notices, self.library.settings, at or utcnow(), every=every)

    def outbox(self, status: str | None = None, limit: int = 100) -> list[Mail]:
        return self.notices.mails(status, limit)

    # Helpers

    def _target(self, kind: str, target: str, problems: list[Problem]) -> str:
        """The canonical target of a follow, or a problem saying what was wrong."""
        if kind == "search":
            params = parse_qs(target)
            if not target or len(target) > MAX_QUERY or not params.get("q"):
                problems.append(Problem("follow", "target", "expected a search with words to "
                                        f"look for (q=...), at most {MAX_QUERY} characters"))
                return target[:MAX_QUERY]
            settings = self.library.settings
            limits = Limits(max_query_length=settings.max_query_length,
                            max_per_page=settings.max_per_page)
            try:
                parse_search_request(params, self.library.taxonomy, limits)
            except ValidationError as error:
                problems.extend(error.problems)
            return search_target(target)
        if kind == "recommendation":
            if self.library.store.get_recommendation(target) is None:
                problems.append(Problem("follow", "target", f"no recommendation {target[:40]!r}"))
            return target
        term = self.library.taxonomy.vocabulary(LINK[kind][0]).resolve(target)
        if term is None:
            problems.append(Problem("follow", "target", f"no {kind} {target[:40]!r}"))
            return target
        return term.code

    def _view(self, follow: Follow) -> FollowView:
        kind, target = follow.kind, follow.target
        if kind == "search":
            query = " ".join(parse_qs(target).get("q", [""]))
            return FollowView(follow, f"the search “{query}”", f"/search?{target}")
        if kind == "recommendation":
            rec = self.library.store.get_recommendation(target)
            label = f"recommendation {rec.number} ({rec.evaluation_id})" if rec else target
            return FollowView(follow, label, f"/recommendations/{quote(target)}")
        vocabulary, path = LINK[kind]
        name = self.library.taxonomy.vocabulary(vocabulary).name_of(target)
        return FollowView(follow, f"{'nexus area' if kind == 'nexus' else kind} {name}",
                          f"/{path}/{quote(target)}")


class Courier:
    """The background thread of ``kmsearch serve``: delivers the outbox and sends the digests
    that are due, every ``interval`` seconds, until ``stop``."""

    def __init__(self, notifications: Notifications, interval: float = 60.0):
        self.notifications = notifications
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="kmsearch-courier", daemon=True)

    def start(self) -> Courier:
        settings = self.notifications.library.settings
        if not settings.email_on:
            log.warning("E-mail is off (KMSEARCH_SMTP_HOST is not set): notifications stay "
                        "in-app only.")
        self._thread.start()
        return self

    def stop(self, timeout: float = 30.0) -> None:
        """Ask the thread to stop and wait for it (it finishes the message it is sending)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.notifications.send_digests()
                self.notifications.send_outbox()
            except Exception:
                log.exception("notifications: one round failed; the next one retries")
            self._stop.wait(self.interval)


def search_target(query: str) -> str:
    """A search's query string as a follow keeps it: keys sorted, paging left out."""
    params = parse_qs(query)
    kept = {k: v for k, v in params.items() if k not in ("page", "per_page")}
    return urlencode(sorted(kept.items()), doseq=True)


def _signed_in(viewer: Viewer) -> str:
    if not viewer.signed_in:
        raise Forbidden("Sign in to see your notifications and follows.")
    return viewer.username

