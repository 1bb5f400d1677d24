"""Documents through the library: attached files and who may have them, management responses
from Word and PDF kept with their evaluation, exported files, and the case brief."""

from __future__ import annotations

import datetime
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..access import Viewer
from ..errors import NotFound, Problem
from ..files.attachments import Attachments
from ..files.briefs import Brief, brief_docx, make_brief
from ..files.export import exported_path
from ..files.responsedocs import read_response
from ..records import Attachment, CaseNote, Evaluation
from ..store.attachments import StoredFile
from ..workflow.permissions import may_see_history, may_view

if TYPE_CHECKING:
    from ..store.cases import Store
    from ..taxonomy import Taxonomy


class Documents:
    """Document methods of ``Library``."""

    settings: Any
    store: Store
    taxonomy: Taxonomy

    # and ``_once`` (Library), ``get_case`` (Reading), ``import_evaluation`` (Writing)

    @property
    def attachments(self) -> Attachments:
        """Attached files: kept outside the database, their text extracted once."""
        return self._once("attachments", lambda: Attachments(self.store, self.settings))

    def attached_file(self, case_id: str, sha256: str, viewer: Viewer) -> tuple[Attachment, Path]:
        """A file attached to a note this viewer may see (in any workflow state the viewer may
        see it in), and where its bytes are; NotFound for anyone else, as for a missing file."""
        stored = self.store.get_case(case_id)
        if stored is None or not may_view(viewer, stored):
            raise NotFound("No such attached file.")
        notes = [stored.note]
        if stored.pending_revision and may_see_history(viewer, stored):
            notes.append(self.contributions.work_item(stored).note)  # the change under review
        found = next((a for note in notes for a in note.attachments if a.sha256 == sha256), None)
        if found is None:
            raise NotFound("No such attached file.")
        path = self.attachments.path(found)
        if not path.is_file():
            raise NotFound(f"The file {found.name} is missing from the attachments folder.")
        return found, path

    def attached_files(self, note: CaseNote) -> dict[str, StoredFile | None]:
        """What reading each of a note's files found (pages, warnings), by hash."""
        return {a.sha256: self.attachments.info(a) for a in note.attachments}

    def import_response(
        self, name: str, data: bytes, *, evaluation_id: str, title: str | None = None,
        period: str | None = None, date: datetime.date | None = None, default: bool = False,
    ) -> tuple[Evaluation, str, list[Problem]]:
        """Parse a management response (.txt, .docx or .pdf), save its evaluation and keep the
        original file with it: the evaluation, "created", "updated" or "unchanged", and
        warnings (pages of a PDF without text)."""
        evaluation, found = read_response(name, data, evaluation_id=evaluation_id, title=title,
                                          period=period, date=date)
        evaluation.default = default
        added = self.attachments.add(name, data)
        action = self.import_evaluation(evaluation)
        self.attachments.files.keep_for_evaluation(evaluation.id, added.attachment)
        return evaluation, action, found.warnings(name)

    def evaluation_files(self, evaluation_id: str) -> list[Attachment]:
        """The documents an evaluation was imported from, newest first."""
        return self.attachments.files.evaluation_files(evaluation_id)

    def evaluation_file(self, evaluation_id: str, sha256: str) -> tuple[Attachment, Path]:
        """An original document of an evaluation (evaluations are public, like their pages)."""
        found = next((a for a in self.evaluation_files(evaluation_id) if a.sha256 == sha256),
                     None)
        if found is None or not self.attachments.path(found).is_file():
            raise NotFound("No such document of this evaluation.")
        return found, self.attachments.path(found)

    def export_attachments(self, notes: list[CaseNote], folder: Path) -> int:
        """Copy the notes' attached files beside an exported corpus, where its files name them."""
        copied = 0
        for note in notes:
            for attachment in note.attachments:
                target = Path(folder) / exported_path(note.id, attachment.name)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(self.attachments.path(attachment), target)
                copied += 1
        return copied

    def brief(self, case_id: str, viewer: Viewer) -> Brief:
        """The printable one-page brief of a published note this viewer may see."""
        stored = self.get_case(case_id, viewer)
        recs = [rec for rec_id in stored.note.recommendations
                if (rec := self.store.get_recommendation(rec_id)) is not None]
        return make_brief(stored.note, self.taxonomy, recs)

    def brief_docx(self, case_id: str, viewer: Viewer) -> bytes:
        """The brief as a Word file."""
        return brief_docx(self.brief(case_id, viewer))
