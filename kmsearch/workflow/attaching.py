"""Files on notes in the workflow: attaching and removing one is a revision of the note, made
with the same permissions and the same review as an edit of its text."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from ..access import Viewer
from ..errors import Conflict, NotFound
from ..files.attachments import Added, Attachments, with_attachment, without_attachment
from ..store.cases import StoredCase

if TYPE_CHECKING:
    from .contributions import SaveOutcome


@dataclass
class AttachOutcome:
    """The file attached (with what reading it found) and the revision that holds it."""

    added: Added
    saved: SaveOutcome


class Attaching:
    """The attach and detach steps of ``Contributions`` (whose store, settings, ``cases`` and
    ``_editable`` they use)."""

    @cached_property
    def attachments(self) -> Attachments:
        return Attachments(self.store, self.settings)

    def attach(self, viewer: Viewer, case_id: str, name: str, data: bytes, *,
               expected_revision: int | None = None, comment: str = "") -> AttachOutcome:
        """Attach a file to a note as a new revision; like any edit, on a published note it is
        a change that waits for review beside the live revision. A file that cannot be read
        is kept and reported."""
        stored = self._editable(viewer, case_id)
        self._not_archived(stored)
        added = self.attachments.add(name, data)
        note = with_attachment(self.work_item(stored).note, added.attachment)
        why = comment or f"attached {added.attachment.name}"
        return AttachOutcome(added, self._change(viewer, stored, note, why, expected_revision))

    def detach(self, viewer: Viewer, case_id: str, sha256: str, *,
               expected_revision: int | None = None, comment: str = "") -> SaveOutcome:
        """Take a file off a note as a new revision; its bytes stay for the older revisions."""
        stored = self._editable(viewer, case_id)
        self._not_archived(stored)
        working = self.work_item(stored).note
        gone = [a.name for a in working.attachments if a.sha256 == sha256]
        if not gone:
            raise NotFound(f"Case note {case_id!r} has no such attached file.")
        note = without_attachment(working, sha256)
        return self._change(viewer, stored, note, comment or f"removed {gone[0]}",
                            expected_revision)

    @staticmethod
    def _not_archived(stored: StoredCase) -> None:
        if stored.state == "archived":
            raise Conflict(f"Case note {stored.id!r} is archived; an admin must restore it "
                           "before it can be changed.")
