"""One record's own checks: version, required headers, block and payload digests, and a
response's HTTP Content-Length against the body stored (framing is ``archive.members``)."""

from __future__ import annotations

import base64
import binascii
import hashlib

from archive.members import ParsedRecord
from archive.verify.findings import Report


def _digest_matches(header: str, data: bytes) -> tuple[bool, str]:
    """(matches, computed value in the header's own encoding) for 'algo:value' digests."""
    algo, sep, value = header.partition(":")
    algo = algo.strip().lower()
    if not sep or not value.strip():
        return False, "malformed digest (expected 'algorithm:value')"
    try:
        raw = hashlib.new(algo, data).digest()
    except ValueError:
        return False, f"unsupported digest algorithm {algo!r}"
    value = value.strip()
    b32 = base64.b32encode(raw).decode("ascii")
    hexed = binascii.hexlify(raw).decode("ascii")
    if value.upper().rstrip("=") == b32.rstrip("="):
        return True, f"{algo}:{b32}"
    if value.lower() == hexed:
        return True, f"{algo}:{hexed}"
    computed = hexed if all(c in "0123456789abcdefABCDEF" for c in value) else b32
    return False, f"{algo}:{computed}"


def _split_http(block: bytes) -> tuple[bytes, bytes] | None:
    end = block.find(b"\r\n\r\n")
    if end < 0:
        return None
    return block[:end], block[end + 4:]


def _http_status_and_length(head: bytes) -> tuple[str | None, list[bytes]]:
    lines = head.split(b"\r\n")
    parts = lines[0].split(b" ", 2)
    status = parts[1].decode("latin-1") if len(parts) > 1 else None
    lengths = []
    for line in lines[1:]:
        name, sep, value = line.partition(b":")
        if sep and name.strip().lower() == b"content-length":
            lengths.append(value.strip())
    return status, lengths


def check_record(record: ParsedRecord, where: str, offset: int, report: Report) -> str | None:
    """Digest and framing checks of one record; returns the HTTP status if it has one."""
    rid = record.get("WARC-Record-ID")
    warc_type = record.get("WARC-Type") or ""
    if record.version not in ("WARC/1.1", "WARC/1.0"):
        report.fail(where, f"unexpected WARC version line {record.version!r}",
                    offset=offset, record_id=rid)
    for required in ("WARC-Record-ID", "WARC-Type", "WARC-Date"):
        if not record.get(required):
            report.fail(where, f"missing {required}", offset=offset, record_id=rid)

    block_digest = record.get("WARC-Block-Digest")
    if block_digest is None:
        report.fail(where, "missing WARC-Block-Digest", offset=offset, record_id=rid)
    else:
        ok, computed = _digest_matches(block_digest, record.block)
        if not ok:
            report.fail(where, f"WARC-Block-Digest mismatch: header {block_digest}, "
                        f"block has {computed}", offset=offset, record_id=rid)

    content_type = (record.get("Content-Type") or "").lower()
    is_http = content_type.startswith("application/http")
    status = None
    payload: bytes | None = record.block
    if is_http:
        split = _split_http(record.block)
        if split is None:
            report.fail(where, "HTTP header block is not terminated by an empty line",
                        offset=offset, record_id=rid)
            payload = None
        else:
            head, payload = split
            status, lengths = _http_status_and_length(head)
            if warc_type == "response":
                real = str(len(payload)).encode()
                if any(value != real for value in lengths):
                    shown = b", ".join(lengths).decode("latin-1")
                    report.fail(where, f"HTTP Content-Length {shown} but the stored body is "
                                f"{len(payload)} bytes", offset=offset, record_id=rid)

    payload_digest = record.get("WARC-Payload-Digest")
    if warc_type == "response" and payload_digest is None:
        report.fail(where, "missing WARC-Payload-Digest", offset=offset, record_id=rid)
    # A revisit's payload digest is the original's; it is checked against that record.
    if payload_digest is not None and warc_type != "revisit" and payload is not None:
        ok, computed = _digest_matches(payload_digest, payload)
        if not ok:
            report.fail(where, f"WARC-Payload-Digest mismatch: header {payload_digest}, "
                        f"stored payload has {computed}", offset=offset, record_id=rid)
    return status
