"""Reference app that cannot be imported."""

raise RuntimeError("database URL is not configured")
