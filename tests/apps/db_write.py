"""Reference app: writes to SQLite the way apps do, for the accuracy benchmark. SQLite takes one writer at a
time; the others wait in its busy handler, which sleeps and retries (a back-off), so the lock sits unclaimed
between holders. Every route takes `?ms=` (the work inside the write transaction) and `db=` (a file path).

/raw        sqlite3: BEGIN IMMEDIATE, an insert, the work, COMMIT
/orm        SQLAlchemy: a session that adds a row and flushes, the work, commit
/read       sqlite3: a read (SQLite lets readers run together): the app does not serialize
"""

import os
import sqlite3
import tempfile
import threading
import time
from urllib.parse import parse_qs

DEFAULT_DB = os.path.join(tempfile.gettempdir(), f"burstcheck-db-write-{os.getpid()}.sqlite")
_ENGINES = {}
_GUARD = threading.Lock()


def _connect(path):
    connection = sqlite3.connect(path, timeout=30, isolation_level=None)
    connection.execute("CREATE TABLE IF NOT EXISTS hits (id INTEGER PRIMARY KEY, at REAL)")
    return connection


def _raw(path, seconds):
    connection = _connect(path)
    try:
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("INSERT INTO hits (at) VALUES (?)", (time.time(),))
        time.sleep(seconds)
        connection.execute("COMMIT")
    finally:
        connection.close()


def _read(path, seconds):
    connection = _connect(path)
    try:
        connection.execute("SELECT count(*) FROM hits").fetchone()
        time.sleep(seconds)
    finally:
        connection.close()


def _orm(path, seconds):
    from sqlalchemy import Column, Float, Integer, create_engine
    from sqlalchemy.orm import Session, declarative_base

    with _GUARD:
        if path not in _ENGINES:
            base = declarative_base()

            class Hit(base):
                __tablename__ = "orm_hits"
                id = Column(Integer, primary_key=True)
                at = Column(Float)

            engine = create_engine(f"sqlite:///{path}", connect_args={"timeout": 30})
            base.metadata.create_all(engine)
            _ENGINES[path] = (engine, Hit)
    engine, hit = _ENGINES[path]
    with Session(engine) as session:
        session.add(hit(at=time.time()))
        session.flush()  # takes SQLite's write lock
        time.sleep(seconds)
        session.commit()


ROUTES = {"/raw": _raw, "/orm": _orm, "/read": _read}


def app(environ, start_response):
    query = parse_qs(environ.get("QUERY_STRING", ""))
    seconds = float(query.get("ms", ["100"])[0]) / 1000
    handler = ROUTES.get(environ["PATH_INFO"])
    if handler is None:
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"no such route\n"]
    handler(query.get("db", [DEFAULT_DB])[0], seconds)
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"written\n"]
