"""Code that runs inside the app's own interpreter; see serve.py (run by its path, never imported there)."""
