"""Who is told about a note's move: reviewers of a submission, its author of a return or a
publication; in their notification list, and by e-mail through the outbox when it is on.

``Contributions`` calls ``moved`` right after each workflow move is saved. Telling people is
never worth losing a save: a failure here is logged and the move stands.
"""

from __future__ import annotations

import logging
from urllib.parse import quote

from ..access import Viewer
from ..config import Settings
from ..store.accounts import User, get_user, list_users
from ..store.cases import Store, StoredCase
from ..store.notices import Notices
from ..taxonomy import Taxonomy
from .permissions import may_review

log = logging.getLogger(__name__)
# (state before, state after) -> the event it is
EVENTS = {("draft", "submitted"): "submitted", ("submitted", "draft"): "returned",
          ("submitted", "published"): "published"}


class Notifying:
    """Turns workflow moves into notifications and outbox e-mails, in one transaction."""

    def __init__(self, store: Store, taxonomy: Taxonomy, settings: Settings):
        self.store = store
        self.taxonomy = taxonomy
        self.settings = settings
        self.notices = Notices(store)

    def moved(self, viewer: Viewer, before: StoredCase, state: str, comment: str = "", *,
              was: str | None = None, author: str | None = None) -> None:
        """Tell whoever a move from ``was`` (default ``before.state``) to ``state`` concerns:
        for a change pending beside a published note, its own state and its ``author``.
        Never raises."""
        event = EVENTS.get((was or before.state, state))
        if event is None or (event == "submitted" and before.origin == "import"
                             and may_review(viewer)):
            return  # a reviewer releasing an import submits and publishes it in one step
        try:
            self._tell(event, viewer, before, comment, author or before.author)
        except Exception:
            log.exception("could not notify about %s of %s; the note was saved", event,
                          before.id)

    def _tell(self, event: str, viewer: Viewer, stored: StoredCase, comment: str,
              author_name: str | None) -> None:
        note, actor = stored.note, viewer.username or "someone"
        division = self.taxonomy.divisions.name_of(note.division)
        if event == "submitted":
            recipients = self._reviewers(note.division)
            title = f"{actor} submitted “{note.title}” ({division}) for review"
            link = f"/contribute/{quote(note.id)}"
        else:
            author = get_user(self.store, author_name) if author_name else None
            recipients = [author] if author and not author.disabled else []
            title = (f"{actor} returned “{note.title}” to you" if event == "returned"
                     else f"“{note.title}” was published by {actor}")
            link = f"/contribute/{quote(note.id)}" if event == "returned" \
                else f"/cases/{quote(note.id)}"
        body = f"Comment from {actor}: {comment.strip()}" if comment.strip() else ""
        recipients = [u for u in recipients if u.username != viewer.username]
        with self.store.write() as db:
            for user in recipients:
                self.notices.add(db, user.username, event, title, body=body, link=link,
                                 case_id=note.id)
                self.mail(db, user, title, "\n\n".join(filter(None, [
                    title + ".", body, f"Open the note: {self.url(link)}"])))

    def mail(self, db, user: User, subject: str, text: str) -> None:
        """Put an e-mail to ``user`` in the outbox, when e-mail is on and they gave an address."""
        if self.settings.email_on and user.email:
            footer = f"\n\n-- \nYour notifications: {self.url('/notifications')}\n"
            self.notices.enqueue(db, user.email, subject, text + footer)

    def url(self, path: str) -> str:
        return self.settings.base_url.rstrip("/") + path

    def _reviewers(self, division: str) -> list[User]:
        """Active reviewers of ``division``: those who list it, and those who list none."""
        return [u for u in list_users(self.store) if "reviewer" in u.roles and not u.disabled
                and (not u.divisions or division in u.divisions)]
