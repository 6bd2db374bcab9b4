"""Project commands (``COMMANDS_MODULE``): ``scrapy warcshell`` and ``scrapy reextract``.

Both work on an archive alone (``-s ARCHIVE_DIR=X``) and never touch the network.
"""
