"""Reference app built by a factory with arguments, as `app: factory:create_app(seconds="0.05")`."""

import time


def create_app(seconds="0.2", locked=False):
    import threading

    lock = threading.Lock() if locked else None

    def app(environ, start_response):
        if lock is not None:
            with lock:
                time.sleep(float(seconds))
        else:
            time.sleep(float(seconds))
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"built by a factory\n"]

    return app
