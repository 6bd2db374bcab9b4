"""The dedup layer: maintenance pages, template links, traps, duplicate payloads."""
