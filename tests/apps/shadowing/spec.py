"""The app's own module named like one of the server entry's: had the entry imported it, the server would fail."""

raise ImportError("the app's spec.py was imported by burstcheck's server entry")
