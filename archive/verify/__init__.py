"""`python -m archive verify DIR`: check that a finished ARCHIVE_DIR is whole and consistent.

Everything is checked from the bytes on disk, without trusting any one tool's reading of them:

* WARC files (DIR/warc/*.warc.gz): every gzip member inflates (CRC included) and holds
  exactly one complete WARC record; no trailing garbage; the first record is warcinfo; no
  record id is used twice. A damaged member is reported and reading resumes at the next
  intact member, so one bad record does not hide the rest of the file. `.open` files are
  reported as unfinished (a crawl still running, or killed and not yet recovered).
* Digests: WARC-Block-Digest over the block; WARC-Payload-Digest over the HTTP entity body
  as stored (still content-encoded), as archive/records.py computes them; a response's HTTP
  Content-Length equals the stored body length.
* Pairs: every response/revisit has exactly one request whose WARC-Concurrent-To points at
  it, with the same WARC-Target-URI, WARC-Date (and WARC-IP-Address when both have one),
  and every request points at an existing response/revisit.
* Revisits: the record referred to exists (by WARC-Refers-To if given, else by
  WARC-Refers-To-Target-URI + WARC-Payload-Digest) and agrees on URI, digest and date.
* DIR/index.cdxj: exists, parses, is sorted, every line lands exactly on a record with the
  same url, timestamp and digest, and every response/revisit record has a line.
* Items (DIR/items/*/*.jsonl): every `warc` pointer lands exactly on a response/revisit
  record (offset, length, record id) whose target URI is the item's url or first page.

Exit status: 0 when everything holds, 1 when anything failed, 2 on a usage error.

The checks are split by concern, over what one walk of the WARCs gathers (``core``): the
files and their records (``warcs``, with framing from ``archive.members``), one record's
digests (``records``), request/response ``pairs``, ``revisits``, the ``index`` and the
``items``' pointers; ``cli`` is the command.
"""

from archive.verify.cli import HELP, add_arguments, main, run
from archive.verify.core import Failure, Report, Verifier, verify_archive

__all__ = ["HELP", "Failure", "Report", "Verifier", "add_arguments", "main", "run",
           "verify_archive"]
