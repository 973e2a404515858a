"""Storage: every table (tables.py, Alembic's target; migrations/ via schema.py), the hot-path
SQL of steps and `case show` (rows.py, checked against the tables by
tests/test_store_rows_match_tables.py), engines and transactions (db.py), normalised keys
(keys.py), files beside the database (files.py), backup and restore (backup.py) and the calendar
years an agency imports (calendar_store.py).

Three ways to the database, each for one kind of work: rows.py's plain SQL on the DBAPI
connection inside db.write_db() for steps (the ORM's unit of work cost ten times the SQL);
SQLAlchemy Core for the warning outbox's bulk insert-or-ignore (engine/notify/outbox.py); the
ORM, through db.read_session() / write_session(), for reads in reports and the few writes off the
hot path (letters, reviews, calendar imports)."""
