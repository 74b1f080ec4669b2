"""Ingest: files → documents / catalogue rows → chunks → the index."""
