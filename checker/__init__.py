"""burstcheck: prove that a Python web app still serves requests concurrently."""

__version__ = "0.1.0"
