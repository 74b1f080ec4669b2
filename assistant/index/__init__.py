"""The index: SQLite (sources, chunks, lexical index, catalogue, meta) and Chroma (vectors)."""
