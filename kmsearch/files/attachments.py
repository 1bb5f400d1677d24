"""Attach files to case notes: check them by content, keep their bytes, extract their text once
per content hash, and read the ``attachments:`` paths a corpus file gives."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, replace
from pathlib import Path

from ..config import Settings
from ..errors import Problem, ValidationError
from ..records import Attachment, CaseNote
from ..store.attachments import FileStore, StoredFile
from ..store.cases import Store
from .extract import extract
from .filetypes import EXPECTED, detect, human_size

_UNSAFE_NAME = re.compile(r"[^\w.\- ()+,&]+")


@dataclass(frozen=True)
class Added:
    """An attachment ready to go on a note, and what extracting its text found."""

    attachment: Attachment
    file: StoredFile

    @property
    def message(self) -> str:
        return self.file.message


class Attachments:
    """Files attached to notes, kept under ``settings.attachments_dir``, extracted once."""

    def __init__(self, store: Store, settings: Settings):
        self.settings = settings
        self.files = FileStore(store, settings.attachments_dir)

    def add(self, name: str, data: bytes, *, source: str = "") -> Added:
        """Check, keep and read one file; ``ValidationError`` only when it cannot be kept.

        A file that is encrypted, scanned, damaged or a bomb is kept and reported, not refused.
        """
        name = safe_name(name)
        limit = self.settings.max_attachment_bytes
        if not data:
            raise ValidationError([Problem(name, "file", f"empty file; expected {EXPECTED}")])
        if len(data) > limit:
            message = (f"{human_size(len(data))} is more than the {human_size(limit)} "
                       "an attachment may have")
            raise ValidationError([Problem(name, "file", message)])
        sha = hashlib.sha256(data).hexdigest()
        known = self.files.get(sha)
        if known is None:
            detected = detect(name, data)
            found = extract(detected.type, data, max_pages=self.settings.max_attachment_pages,
                            seconds=self.settings.extract_seconds, unsafe=detected.unsafe)
            known = self.files.save(data, StoredFile(
                sha, len(data), detected.type, len(found.pages), found.searchable,
                found.message, round(found.seconds, 3),
            ), found.pages)
        return Added(Attachment(name, sha, len(data), known.type, source), known)

    def path(self, attachment: Attachment) -> Path:
        return self.files.path(attachment.sha256)

    def info(self, attachment: Attachment) -> StoredFile | None:
        return self.files.get(attachment.sha256)

    def resolve(self, note: CaseNote, note_path: Path) -> CaseNote:
        """A corpus note whose ``attachments:`` paths are read, kept and hashed; problems name
        the note file and the path. Paths are relative to the note file, inside its folder tree."""
        if not note.attachments or all(a.sha256 for a in note.attachments):
            return note
        resolved, problems = [], []
        base = Path(note_path).resolve().parent
        for attachment in note.attachments:
            if attachment.sha256:
                resolved.append(attachment)
                continue
            path = (base / attachment.source).resolve()
            try:
                data = path.read_bytes()
                added = self.add(path.name, data, source=attachment.source)
            except OSError as error:
                problems.append(Problem(str(note_path), "attachments",
                                        f"cannot read {attachment.source!r}: {error.strerror}"))
                continue
            except ValidationError as error:
                problems.extend(Problem(str(note_path), "attachments",
                                        f"{attachment.source}: {p.message}")
                                for p in error.problems)
                continue
            resolved.append(added.attachment)
        if problems:
            raise ValidationError(problems)
        return replace(note, attachments=resolved)


def with_attachment(note: CaseNote, attachment: Attachment) -> CaseNote:
    """The note with ``attachment`` added; a file of the same name is replaced by the new one."""
    kept = [a for a in note.attachments if a.name != attachment.name]
    return replace(note, attachments=[*kept, attachment])


def without_attachment(note: CaseNote, sha256: str) -> CaseNote:
    return replace(note, attachments=[a for a in note.attachments if a.sha256 != sha256])


def safe_name(name: str) -> str:
    """A file name fit for a header and a page: its last path part, in plain characters."""
    name = unicodedata.normalize("NFC", Path(str(name).replace("\\", "/")).name)
    name = _UNSAFE_NAME.sub("_", name).strip(" ._") or "attachment"
    if len(name) > 120:
        stem, dot, suffix = name.rpartition(".")
        name = (stem[: 110] + dot + suffix[:9]) if dot else name[:120]
    return name
