"""Notes from uploaded files: each good Markdown file or sheet row becomes a draft, and every
problem is reported by file and row. A mixin of ``Contributions``, whose store, taxonomy,
settings, ``_save`` and permission checks it uses."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..access import Viewer
from ..errors import Forbidden, Problem, ValidationError
from ..files.corpus import parse_case_text
from ..files.synonyms import synonym
from ..limits import BACKGROUND_UPLOAD_SECONDS, UPLOAD_SECONDS
from ..records import CaseNote
from ..store.cases import StoredCase
from .permissions import may_contribute
from .uploads import Budget, Entry, check_files, read_upload, teach

if TYPE_CHECKING:
    from .contributions import SaveOutcome


@dataclass
class ImportReport:
    saved: list[SaveOutcome] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def note_fields(note: CaseNote) -> dict[str, Any]:
    """The field mapping ``note_from_fields`` turns back into ``note``: what a form starts from."""
    return {
        **note.extra,
        "id": note.id, "title": note.title, "summary": note.summary, "division": note.division,
        "partners": [{"name": p.name, "type": p.type} for p in note.partners],
        "partnership_types": list(note.partnership_types),
        "nexus_areas": list(note.nexus_areas), "sdgs": list(note.sdgs),
        "recommendations": list(note.recommendations),
        "start_year": note.start_year, "end_year": note.end_year, "status": note.status,
        "good_practice": note.good_practice, "visibility": note.visibility,
        "risk_level": note.risk_level,
        "lessons": [{"kind": lesson.kind, "text": lesson.text} for lesson in note.lessons],
    }


class Importing:
    """The upload step of ``Contributions``."""

    def import_files(
        self, viewer: Viewer, files: list[tuple[str, bytes]],
        progress: Callable[[int, int], None] | None = None, *, atomic: bool = True,
    ) -> ImportReport:
        """Each good uploaded note becomes a draft; problems are reported per file and row, and
        a bad type or size refuses the whole upload before anything is saved. ``progress(done,
        total)`` follows the notes as they are saved.

        An ``atomic`` upload (one sent to a request thread) is one transaction, within
        ``UPLOAD_SECONDS``: an unexpected failure part-way leaves nothing saved. A background
        upload (``atomic=False``) saves note by note, so that it never holds the database's
        write lock for long, within ``BACKGROUND_UPLOAD_SECONDS``."""
        if not may_contribute(viewer):
            raise Forbidden("Only contributors, reviewers and admins add notes.")
        refused = check_files(files)
        if refused:
            raise ValidationError(refused)
        report = ImportReport()
        budget = Budget(UPLOAD_SECONDS if atomic else BACKGROUND_UPLOAD_SECONDS)
        uploads = [read_upload(name, data, self._is_partner_type, budget) for name, data in files]
        entries = [entry for upload in uploads for entry in upload.entries]
        for upload in uploads:
            report.problems.extend(upload.problems)
        with self.store.write() if atomic else nullcontext():
            for done, entry in enumerate(entries, 1):
                if budget.spent():
                    report.problems.append(budget.problem(entry.source))
                    break
                try:
                    report.saved.append(self._import(viewer, entry))
                except ValidationError as error:
                    report.problems.extend(map(teach, error.problems))
                if progress:
                    progress(done, len(entries))
        return report

    def _import(self, viewer: Viewer, entry: Entry) -> SaveOutcome:
        fields, body = entry.fields, entry.body
        if entry.text is not None:
            note = parse_case_text(
                entry.text, source=entry.source, taxonomy=self.taxonomy,
                default_evaluation=self.settings.default_evaluation,
                known_recommendations=self.store.recommendation_ids(),
            )
            fields, body = note_fields(note), note.body
        current = self._reuploaded(viewer, fields.get("id"), entry.source)
        try:
            return self._save(viewer, fields, body, current,
                              current.revision if current else None,
                              f"uploaded from {entry.source}", source=entry.source)
        except Forbidden as error:
            raise ValidationError([Problem(entry.source, "division", str(error))]) from error

    def _reuploaded(self, viewer: Viewer, case_id: Any, source: str) -> StoredCase | None:
        """The viewer's own unpublished note that a corrected upload of the same row replaces;
        None for a new id. A published note is edited on its page, never over an upload."""
        stored = self.store.get_case(case_id) if isinstance(case_id, str) and case_id else None
        if stored is None:
            return None
        if stored.state == "draft" and stored.author == viewer.username:
            return stored
        where = "published; edit it from its page" if stored.state == "published" else \
            f"{stored.state}, by {stored.author}"
        raise ValidationError([Problem(source, "id", f"expected a new id or one of your drafts; "
                                       f"{case_id!r} is already used by a note that is {where}")])

    def _is_partner_type(self, value: str) -> bool:
        return self.taxonomy.partner_types.resolve(value) is not None or \
            synonym("partner_types", value) is not None
