"""WARC/1.1 writing, indexing and reading for the archive crawler (no Scrapy dependency)."""

from archive.index import write_cdxj_index
from archive.layout import ArchiveLayout, finished_warcs
from archive.reader import ArchiveReadError, StoredRecord, iter_records, read_record
from archive.records import (
    PROFILE_IDENTICAL_PAYLOAD,
    PROFILE_SERVER_NOT_MODIFIED,
    Exchange,
    HttpRequestData,
    HttpResponseData,
    WarcRecord,
    exchange_records,
    format_warc_date,
    new_record_id,
    payload_digest,
    request_record,
    response_record,
    revisit_record,
    revisit_records,
    warcinfo_record,
)
from archive.writer import (
    ArchiveWriteError,
    BackgroundWarcWriter,
    RecordLocation,
    WarcFileWriter,
    recover_open_files,
    utc_now,
)

__all__ = [
    "ArchiveLayout",
    "PROFILE_IDENTICAL_PAYLOAD",
    "PROFILE_SERVER_NOT_MODIFIED",
    "ArchiveReadError",
    "ArchiveWriteError",
    "BackgroundWarcWriter",
    "Exchange",
    "HttpRequestData",
    "HttpResponseData",
    "RecordLocation",
    "StoredRecord",
    "WarcFileWriter",
    "WarcRecord",
    "exchange_records",
    "finished_warcs",
    "format_warc_date",
    "iter_records",
    "new_record_id",
    "payload_digest",
    "read_record",
    "recover_open_files",
    "request_record",
    "response_record",
    "revisit_record",
    "revisit_records",
    "utc_now",
    "warcinfo_record",
    "write_cdxj_index",
]
