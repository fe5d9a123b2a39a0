"""One module per command; each command is a function that returns the exit code (pre-commit's layout)."""
