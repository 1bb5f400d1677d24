"""Who is asking, and which notes they may see: the one visibility rule every layer applies."""

from __future__ import annotations

from dataclasses import dataclass, field

ROLES = ("viewer", "contributor", "reviewer", "admin")


@dataclass(frozen=True)
class Viewer:
    """The person a request is answered for; anonymous when ``username`` is None."""

    username: str | None = None
    roles: frozenset[str] = field(default_factory=frozenset)
    divisions: frozenset[str] = field(default_factory=frozenset)

    @property
    def signed_in(self) -> bool:
        return self.username is not None

    @property
    def sees_all_restricted(self) -> bool:
        return bool(self.roles & {"reviewer", "admin"})


ANONYMOUS = Viewer()


def staff(username: str = "staff", *roles: str, divisions: tuple[str, ...] = ()) -> Viewer:
    """A signed-in viewer; a convenience for the CLI and tests."""
    return Viewer(username, frozenset(roles or ("viewer",)), frozenset(divisions))


def can_see(viewer: Viewer, visibility: str, division: str) -> bool:
    """Public to all; internal to signed-in staff; restricted to its division, reviewers, admins."""
    if visibility == "public":
        return True
    if not viewer.signed_in:
        return False
    if visibility == "internal":
        return True
    return viewer.sees_all_restricted or (
        "contributor" in viewer.roles and division in viewer.divisions
    )
