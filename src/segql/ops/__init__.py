"""Operations on checked segments: loading, compile pipeline, counts, overlap, explain, refresh, lists,
lint and one-record evaluation. Each is a Python function first; the CLI and the service call them."""
