"""The shop's product table in SQLite, made on first use beside this file."""

from __future__ import annotations

import sqlite3
from pathlib import Path

DATABASE = Path(__file__).resolve().parent / "catalog.sqlite3"
PRODUCTS = 500


def connect() -> sqlite3.Connection:
    """A connection per request, as a small app without a pool opens one."""
    connection = sqlite3.connect(DATABASE, timeout=10)
    connection.execute("CREATE TABLE IF NOT EXISTS products (id INTEGER PRIMARY KEY, name TEXT, price REAL)")
    if connection.execute("SELECT COUNT(*) FROM products").fetchone()[0] == 0:
        rows = [(i, f"product {i}", (i * 37) % 1000 / 10) for i in range(1, PRODUCTS + 1)]
        connection.executemany("INSERT OR IGNORE INTO products VALUES (?, ?, ?)", rows)
        connection.commit()
    return connection


def cheapest(count: int = 20) -> list[tuple[str, float]]:
    with connect() as connection:
        return connection.execute("SELECT name, price FROM products ORDER BY price LIMIT ?", (count,)).fetchall()


def product(product_id: int) -> tuple[str, float] | None:
    with connect() as connection:
        return connection.execute("SELECT name, price FROM products WHERE id = ?", (product_id,)).fetchone()


def sales_summary() -> dict[str, float]:
    with connect() as connection:
        count, total, average = connection.execute("SELECT COUNT(*), SUM(price), AVG(price) FROM products").fetchone()
    return {"products": count, "total": round(total, 2), "average": round(average, 2)}
