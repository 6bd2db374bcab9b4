"""What verification finds: the results every checker adds to, and the record types it
looks at; shared by ``core.py`` (which runs the checkers) and the checkers."""

from __future__ import annotations

from dataclasses import dataclass, field

INDEXED_TYPES = frozenset({"response", "revisit"})
POINTABLE_TYPES = frozenset({"response", "revisit"})


@dataclass(frozen=True)
class Failure:
    where: str  # path relative to DIR, optionally ":line" for text files
    message: str
    offset: int | None = None
    record_id: str | None = None

    def __str__(self) -> str:
        parts = [self.where]
        if self.offset is not None:
            parts.append(f"@{self.offset}")
        if self.record_id:
            parts.append(self.record_id)
        return " ".join(parts) + ": " + self.message


@dataclass
class Report:
    files: int = 0
    records: int = 0
    items: int = 0
    index_lines: int = 0
    failures: list[Failure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures

    def fail(self, where: str, message: str, *, offset: int | None = None,
             record_id: str | None = None) -> None:
        self.failures.append(Failure(where, message, offset, record_id))

    def summary(self) -> str:
        return (f"{self.files} files, {self.records} records, {self.items} items checked; "
                f"{len(self.failures)} failures")


@dataclass
class RecordInfo:
    """What later checks need to know about one record; kept small for big archives."""

    filename: str
    offset: int
    length: int
    warc_type: str
    record_id: str | None
    uri: str | None
    date: str | None
    ip: str | None
    payload_digest: str | None
    status: str | None
    concurrent_to: tuple[str, ...]
    refers_to: str | None
    refers_to_uri: str | None
    refers_to_date: str | None
