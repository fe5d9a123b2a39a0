"""The app's own package named `checker`, like burstcheck's: neither may shadow the other."""

WHO = b"the app's own checker package\n"
