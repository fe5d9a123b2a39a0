"""The app's own dependency in the environment tests: burstcheck's environment does not have it."""


def greet() -> bytes:
    return b"hello from the app's own environment\n"
