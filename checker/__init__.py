"""burstcheck: prove that a Python web app still serves requests concurrently."""

# The one place the version is written: pyproject.toml reads it, CHANGELOG.md has a section for it (a test
# checks), and the release workflow publishes only a tag that names it (docs/development.md#releases).
__version__ = "1.0.0"
