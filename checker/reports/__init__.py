"""Reports: pure renderings of a RunReport, for people (console, GitHub summary) and machines (JSON, JUnit)."""
