"""Project commands (``COMMANDS_MODULE``).

``crawl`` takes the ARCHIVE_DIR lock, resumes and exits with an honest code. ``warcshell``
and ``reextract`` work on an archive alone (``-s ARCHIVE_DIR=X``) and never touch the network.

``parse``, ``check``, ``shell``, ``fetch`` and ``view`` are Scrapy's own, with
``ARCHIVE_READ_ONLY`` in their ``default_settings``: they look at pages one at a time and
must not add runs to the archive. A command default has Scrapy's priority "command", below
the project's settings, so it cannot switch off what ``settings.py`` switches on (pipelines,
extensions, WARC capture); instead every component that writes under ARCHIVE_DIR raises
NotConfigured (or writes nothing) when ``ARCHIVE_READ_ONLY`` is set, which only these
commands (and ``-s``) set.
"""
