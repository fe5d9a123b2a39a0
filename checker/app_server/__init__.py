"""What runs inside the app's own interpreter: the server entry, the timing middlewares and the launchers.

Standard library (and the chosen server package) only, and Python 3.9: the app's interpreter may be another
CPython than burstcheck's. `launch.py` is run by its path and loads this package under a private name, so no
module of the app can shadow it and none of it shadows the app's. burstcheck imports the same modules as
`checker.app_server` for the records they share (the spec it sends, the timing header it reads back), so both
sides of the process boundary use one definition. Modules here import each other relatively, never `checker`.
"""
