"""Create or upgrade the database schema with Alembic (imported only by `ogi init`/tests)."""
from __future__ import annotations

from pathlib import Path


def alembic_config(url: str):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str) -> None:
    """Bring the database at `url` to the newest schema (all migration heads)."""
    from alembic import command

    from .db import get_engine

    engine = get_engine(url, create=True)
    cfg = alembic_config(url)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "heads")


def upgrade_and_restore(url: str) -> list[dict]:
    """upgrade(url), then restore the append-only triggers (restore_append_only): `ogi init`."""
    from .db import get_engine

    upgrade(url)
    with get_engine(url).begin() as conn:
        return restore_append_only(conn)


def current_heads(url: str) -> set[str]:
    from alembic.runtime.migration import MigrationContext

    from .db import get_engine

    with get_engine(url).connect() as conn:
        return set(MigrationContext.configure(conn).get_current_heads())


# --------------------------------------------------------------------------- append-only triggers
#
# The one place that spells out the triggers that make the database itself refuse to rewrite the
# history (history_event, migration 0001) and the agency's log (ledger_leaf, migration 0007): the
# migrations create them from here, and `ogi init` restores any that went missing or were disabled.

HISTORY_READONLY = "history is append-only (ogi): UPDATE/DELETE refused"
LEDGER_READONLY = "ledger is append-only (ogi): UPDATE/DELETE refused"
APPEND_ONLY_TABLES = {  # table: (Chinese name, trigger-name prefix, PostgreSQL function, message)
    "history_event": ("办理记录", "history_event", "ogi_history_readonly", HISTORY_READONLY),
    "ledger_leaf": ("机构日志", "ledger_leaf", "ogi_ledger_readonly", LEDGER_READONLY),
}


def append_only_triggers(table: str, dialect: str) -> list[tuple[str, str]]:
    """(trigger name, CREATE TRIGGER statement) of `table` on `dialect` (sqlite or postgresql).
    On PostgreSQL each trigger also needs `append_only_function(table)` first."""
    _, prefix, fn, message = APPEND_ONLY_TABLES[table]
    if dialect == "sqlite":
        return [(f"{prefix}_no_{verb.lower()}",
                 f"CREATE TRIGGER {prefix}_no_{verb.lower()} BEFORE {verb} ON {table} "
                 f"BEGIN SELECT RAISE(ABORT, '{message}'); END") for verb in ("UPDATE", "DELETE")]
    return [
        (f"{prefix}_readonly", f"CREATE TRIGGER {prefix}_readonly BEFORE UPDATE OR DELETE ON {table} "
                               f"FOR EACH ROW EXECUTE FUNCTION {fn}()"),
        (f"{prefix}_no_truncate", f"CREATE TRIGGER {prefix}_no_truncate BEFORE TRUNCATE ON {table} "
                                  f"FOR EACH STATEMENT EXECUTE FUNCTION {fn}()"),
    ]


def append_only_function(table: str) -> str:
    """PostgreSQL: the trigger function that raises the refusal."""
    _, _, fn, message = APPEND_ONLY_TABLES[table]
    return (f"CREATE OR REPLACE FUNCTION {fn}() RETURNS trigger AS $$ "
            f"BEGIN RAISE EXCEPTION '{message}'; END; $$ LANGUAGE plpgsql")


def append_only_sql(table: str, dialect: str) -> list[str]:
    """Every statement that makes `table` append-only (what the migrations execute)."""
    head = [] if dialect == "sqlite" else [append_only_function(table)]
    return head + [sql for _, sql in append_only_triggers(table, dialect)]


def restore_append_only(conn) -> list[dict]:
    """Re-create the append-only triggers that are missing and re-enable those that are disabled
    (PostgreSQL `ALTER TABLE ... DISABLE TRIGGER`), on connection `conn` (in its transaction).
    One entry per restored trigger, with the Chinese line `ogi init` prints; [] when all is well."""
    from sqlalchemy import text

    dialect = conn.dialect.name
    out = []
    for table, (label, _, _, _) in APPEND_ONLY_TABLES.items():
        if dialect == "sqlite":
            present = {name: True for (name,) in conn.execute(
                text("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = :t"), {"t": table})}
        else:
            present = {name: enabled != "D" for name, enabled in conn.execute(text(
                "SELECT tgname, tgenabled FROM pg_trigger WHERE tgrelid = to_regclass(:t) AND NOT tgisinternal"),
                {"t": table})}
        for name, sql in append_only_triggers(table, dialect):
            if present.get(name):
                continue
            if name in present:  # disabled
                conn.execute(text(f"ALTER TABLE {table} ENABLE TRIGGER {name}"))
                was, why = "disabled", "此前被停用"
            else:
                if dialect != "sqlite":
                    conn.execute(text(append_only_function(table)))
                conn.execute(text(sql))
                was, why = "missing", "此前缺失"
            out.append({"table": table, "trigger": name, "was": was,
                        "message": f"已恢复{label}的防篡改触发器 {name}（{why}）"})
        if dialect != "sqlite" and conn.execute(text(
                "SELECT COUNT(*) FROM pg_trigger WHERE tgrelid = to_regclass(:t) AND tgisinternal "
                "AND tgenabled = 'D'"), {"t": table}).scalar():
            # DISABLE TRIGGER ALL also stops the foreign-key checks (PostgreSQL's internal triggers).
            conn.execute(text(f"ALTER TABLE {table} ENABLE TRIGGER ALL"))
            out.append({"table": table, "trigger": "ALL", "was": "disabled",
                        "message": f"已重新启用{label}的外键约束检查（此前被停用）"})
    return out
