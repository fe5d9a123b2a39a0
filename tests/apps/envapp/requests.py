"""A user's module named like a library burstcheck's client uses: it must not matter to burstcheck."""

raise ImportError("this is the user's requests.py, not the library")
