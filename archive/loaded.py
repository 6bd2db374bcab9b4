"""A capture read back from the archive: its record, and the payload it stands for.

``CaptureIndex.load`` (``archive/captures.py``) makes one; re-extraction and ``warcshell``
rebuild a response from it. A ``server-not-modified`` revisit's headers are the stored
response's, updated by the 304's, as a cache would apply it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from archive.captures import IndexedCapture
    from archive.reader import StoredRecord


@dataclass
class Loaded:
    """A capture read back: its own record and the payload it stands for."""

    capture: IndexedCapture
    record: StoredRecord  # the response or revisit record itself
    payload: bytes  # as stored (still content-encoded); a revisit's comes from its original
    original: StoredRecord | None  # the record a revisit refers to

    @property
    def url(self) -> str:
        return self.record.target_uri or self.capture.url

    @property
    def date(self) -> str:
        return self.record.rec_headers.get_header("WARC-Date") or ""

    @property
    def status(self) -> int:
        http = self.record.http_headers
        code = http.get_statuscode() if http is not None else None
        return int(code) if code and code.isdigit() else 200

    @property
    def protocol(self) -> str | None:
        http = self.record.http_headers
        return http.protocol if http is not None and http.protocol else None

    @property
    def not_modified(self) -> bool:
        """A ``server-not-modified`` revisit: a 304 whose headers do not describe the payload."""
        profile = self.record.rec_headers.get_header("WARC-Profile") or ""
        return self.original is not None and profile.endswith("/server-not-modified")

    def _headers(self) -> list[tuple[str, str]]:
        own = list(self.record.http_headers.headers) if self.record.http_headers else []
        if not self.not_modified or self.original is None or not self.original.http_headers:
            return own
        # As a cache applies a 304: the stored response's headers, updated by the 304's.
        updated = {name.lower() for name, _ in own}
        kept = [(n, v) for n, v in self.original.http_headers.headers if n.lower() not in updated]
        return kept + own

    def header_list(self) -> list[tuple[bytes, bytes]]:
        return [(header_bytes(k), header_bytes(v)) for k, v in self._headers()]

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        return next((v for n, v in self._headers() if n.lower() == wanted), None)

    @property
    def pointer(self) -> dict[str, Any]:
        """What an item's ``warc`` names: this record (the revisit itself, not its original)."""
        return {
            "filename": self.capture.filename,
            "offset": self.capture.offset,
            "length": self.capture.length,
            "record_id": self.record.record_id,
        }


def header_bytes(value: str) -> bytes:
    """Undo warcio's header decoding (UTF-8 when valid, else Latin-1)."""
    try:
        raw = value.encode("latin-1")
    except UnicodeEncodeError:
        return value.encode("utf-8")
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw
    return value.encode("utf-8")


