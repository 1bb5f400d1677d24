"""Domain exceptions raised by the services and translated once by the web and CLI layers."""

from __future__ import annotations

from dataclasses import dataclass


class KmsearchError(Exception):
    """Base class of every error kmsearch reports to a user."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: where it is, which field, and what was expected."""

    source: str
    field: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}" if self.line else self.source
        return f"{where}:{self.field}: {self.message}" if self.field else f"{where}: {self.message}"


class ValidationError(KmsearchError):
    """An input broke the contract; ``problems`` lists every violation found."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("; ".join(str(p) for p in self.problems))


class NotFound(KmsearchError):
    pass


class Forbidden(KmsearchError):
    pass


class Conflict(KmsearchError):
    pass
