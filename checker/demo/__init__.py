"""The bundled demo: a Flask app and the config that `burstcheck demo` runs."""
