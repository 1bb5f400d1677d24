"""Accounts and a submission for the notification tests: a Trade contributor, a reviewer of
every division, a reviewer of Transport only, a reader, each with an e-mail address."""

from __future__ import annotations

from contribution_library import form_fields

from kmsearch.access import Viewer
from kmsearch.library import Library

PASSWORD = "correct horse battery"
PEOPLE = (("tina", ["contributor"], ["trade"]), ("rita", ["reviewer"], []),
          ("tom", ["reviewer"], ["transport"]), ("vic", ["viewer"], []))
BASE_URL = "http://kmsearch.example.org"
BODY = ("## Context\n\nA pilot of electronic certificates of origin with two chambers of "
        "commerce.\n\n## What was done\n\nThe chambers and the customs office exchanged "
        "certificates through one shared platform for a year.\n\n## Results\n\nClearance "
        "took a day instead of a week.")


def add_people(library: Library, password: str = PASSWORD) -> None:
    for name, roles, divisions in PEOPLE:
        library.accounts.add(name, password, roles=roles, divisions=divisions,
                             email=f"{name}@example.org")


def draft_and_submit(library: Library, author: Viewer, title: str = "") -> str:
    """A new Trade note saved by ``author`` and sent to review; its id."""
    fields = form_fields(title) if title else form_fields()
    outcome = library.contributions.save_draft(author, fields, BODY)
    assert outcome.saved, outcome.problems
    library.contributions.submit(author, outcome.case_id)
    return outcome.case_id
