"""The house rules, checked on the source (AST) so that a forbidden import fails here, not in a
review. The rooms and the direction of imports are drawn in docs/design.md:

    cli.py, cli_fast.py -> commands/ -> engine/api.py -> engine/{cases, store, notify, legal}
                                                      -> {states, calendars, letters} -> errors.py

- commands/ import from the engine only `engine.api`, and otherwise only `errors`, `states` (the
  vocabulary) and each other; never a private name of the api, never SQLAlchemy/SQLModel;
- cli_fast.py, like commands/, reaches the engine only through `engine.api`;
- the pure layers (states, calendars, letters) never import engine/, commands/ or cli;
- the pure parts of the engine (case facts and clocks, timeline, fees, the compliance rules)
  import no storage, no configuration loading, no network;
- the storage core (tables, rows, db) imports no other room of the engine;
- only cli.py and cli_fast.py import commands/ (and the demo drives cli.py);
- every command and option has help text (the row types against the tables:
  tests/test_store_rows_match_tables.py).
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
STORAGE = ("sqlalchemy", "sqlmodel", "sqlite3", "psycopg", "alembic", "ogi.engine.store", "ogi.engine.config",
           "ogi.engine.identity", "smtplib", "urllib", "apscheduler", "weasyprint", "jinja2")
PURE_ENGINE = ("engine/cases/clocks.py", "engine/cases/timeline.py", "engine/cases/history.py",
               "engine/cases/fees.py", "engine/cases/standing.py", "engine/legal/compliance.py", "engine/notify/policy.py",
               "engine/ledger/__init__.py", "engine/ledger/merkle.py", "engine/ledger/checkpoint.py",
               "engine/ledger/applicant_digest.py", "engine/legal/similarity.py")
STORAGE_CORE = ("engine/store/tables.py", "engine/store/rows.py", "engine/store/db.py")


def _module(path: Path) -> tuple[str, bool]:
    parts = ["ogi", *path.relative_to(ROOT).with_suffix("").parts]
    if parts[-1] == "__init__":
        return ".".join(parts[:-1]), True
    return ".".join(parts), False


def _runtime_nodes(tree: ast.AST):
    """Every node except those under `if TYPE_CHECKING:` (annotations only, never imported)."""
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and getattr(child.test, "id", getattr(child.test, "attr", "")) == "TYPE_CHECKING":
                stack.extend(child.orelse)
                continue
            stack.append(child)


def imports(path: Path) -> list[tuple[str, list[str], int]]:
    """(absolute module, imported names, line) for every import in the file, lazy ones included."""
    mod, is_pkg = _module(path)
    pkg = mod if is_pkg else mod.rsplit(".", 1)[0]
    found = []
    for node in _runtime_nodes(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(a.name, [], node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = pkg.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            names = [a.name for a in node.names]
            # `from ..engine import api` imports the module ogi.engine.api
            found.append((target, names, node.lineno))
    return found


def _targets(path: Path) -> list[tuple[str, int]]:
    """Every module a file imports, `from pkg import module` resolved to pkg.module."""
    out = []
    for target, names, line in imports(path):
        out.append((target, line))
        out += [(f"{target}.{n}", line) for n in names if (ROOT / Path(*f"{target}.{n}".split(".")[1:])).with_suffix(".py").exists()]
    return out


def _files(*globs: str) -> list[Path]:
    return sorted(p for g in globs for p in ROOT.glob(g) if "__pycache__" not in p.parts)


def _under(target: str, prefix: str) -> bool:
    return target == prefix or target.startswith(prefix + ".")


def _violations(files: list[Path], forbidden) -> list[str]:
    return [f"{p.relative_to(ROOT)}:{line} imports {t}" for p in files for t, line in _targets(p) if forbidden(t)]


def test_commands_reach_the_engine_only_through_the_api():
    def forbidden(t: str) -> bool:
        if _under(t, "ogi.engine"):
            return t not in ("ogi.engine", "ogi.engine.api")
        return any(_under(t, x) for x in ("ogi.letters", "ogi.calendars", "sqlalchemy", "sqlmodel"))

    assert _violations(_files("commands/*.py", "cli_fast.py"), forbidden) == []


def test_commands_use_no_private_name_of_the_api():
    bad = []
    for p in _files("commands/*.py", "cli_fast.py"):
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "api"
                    and node.attr.startswith("_")):
                bad.append(f"{p.relative_to(ROOT)}:{node.lineno} api.{node.attr}")
        for target, names, line in imports(p):
            bad += [f"{p.relative_to(ROOT)}:{line} {target}.{n}" for n in names if n.startswith("_")]
    assert bad == []


def test_every_api_door_opens():
    from ogi.engine import api

    assert [name for name in api.DOORS if getattr(api, name, None) is None] == []


def test_pure_layers_never_import_the_engine_or_the_cli():
    def forbidden(t: str) -> bool:
        return any(_under(t, x) for x in ("ogi.engine", "ogi.commands", "ogi.cli", "ogi.cli_fast"))

    assert _violations(_files("states/*.py", "calendars/*.py", "letters/*.py", "errors.py"), forbidden) == []


def test_states_and_calendars_import_no_io():
    def forbidden(t: str) -> bool:
        return any(_under(t, x) for x in STORAGE + ("ogi.letters",))

    assert _violations(_files("states/*.py", "calendars/*.py"), forbidden) == []


def test_pure_engine_modules_import_no_storage():
    def forbidden(t: str) -> bool:
        return any(_under(t, x) for x in STORAGE) or any(
            _under(t, f"ogi.engine.{m}") for m in ("notify.outbox", "notify.delivery", "notify.transports",
                                                   "legal.audit", "legal.check", "api"))

    assert _violations([ROOT / f for f in PURE_ENGINE], forbidden) == []


def test_the_storage_core_imports_no_other_room():
    def forbidden(t: str) -> bool:
        return any(_under(t, f"ogi.engine.{room}") for room in ("cases", "notify", "legal", "api"))

    assert _violations([ROOT / f for f in STORAGE_CORE], forbidden) == []


def test_only_the_cli_imports_commands():
    allowed = {ROOT / "cli.py", ROOT / "cli_fast.py"}
    files = [p for p in _files("**/*.py") if not any(x in p.parts for x in (".venv", "tests", "commands", "bench"))
             and p not in allowed]
    assert _violations(files, lambda t: _under(t, "ogi.commands")) == []


def test_the_engine_never_imports_the_cli():
    assert _violations(_files("engine/**/*.py"), lambda t: any(_under(t, x) for x in ("ogi.commands", "ogi.cli"))) == []


def test_the_rules_catch_a_forbidden_import(tmp_path, monkeypatch):
    """The checker itself: a commands module importing a store module is found."""
    bad = ROOT / "commands" / "_architecture_probe.py"
    bad.write_text("def f():\n    from ..engine.store import rows\n    from ..engine import api\n    api._context\n",
                   encoding="utf-8")
    try:
        with pytest.raises(AssertionError):
            test_commands_reach_the_engine_only_through_the_api()
        with pytest.raises(AssertionError):
            test_commands_use_no_private_name_of_the_api()
    finally:
        bad.unlink()


def _walk(cmd, path=("ogi",)):
    yield path, cmd
    for name, sub in getattr(cmd, "commands", {}).items():
        yield from _walk(sub, (*path, name))


def test_every_command_and_option_has_help():
    import typer.main

    from ogi.cli import _app

    root = typer.main.get_command(_app())
    missing = []
    for path, cmd in _walk(root):
        if not (cmd.help or "").strip() and not (getattr(cmd, "short_help", "") or "").strip():
            missing.append(" ".join(path))
        for param in cmd.params:
            if param.param_type_name == "option" and not (getattr(param, "help", "") or "").strip():
                missing.append(f"{' '.join(path)} {param.opts[0]}")
    assert missing == []


def test_module_names_written_as_strings_exist():
    """f"{__package__}.engine.store.db" and the like name modules that exist (a move must not
    leave a lookup that silently finds nothing, as cli.py's exit clean-up would)."""
    import importlib.util

    missing = []
    for p in _files("*.py", "engine/**/*.py", "commands/*.py"):
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.JoinedStr) or len(node.values) != 2:
                continue
            head, tail = node.values
            if (isinstance(head, ast.FormattedValue) and getattr(head.value, "id", "") == "__package__"
                    and isinstance(tail, ast.Constant) and tail.value.startswith(".")):
                base = _module(p)[0] if p.name == "__init__.py" else _module(p)[0].rsplit(".", 1)[0]
                if importlib.util.find_spec(base + tail.value) is None:
                    missing.append(f"{p.relative_to(ROOT)}:{node.lineno} {base + tail.value}")
    assert missing == []


def test_the_client_path_imports_only_the_standard_library():
    """A clerk's command through the service costs one interpreter start: client.py imports only
    the standard library, and so does the console script up to the point where it hands argv to
    the service (cli.run -> client.try_service)."""
    import subprocess
    import sys as _sys

    for node in ast.walk(ast.parse((ROOT / "client.py").read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [node.module or ""] if node.level == 0 else ["<relative>"]
        else:
            continue
        for name in names:
            assert name.split(".")[0] in _sys.stdlib_module_names or name == "__future__", name
    probe = ("import sys; from ogi import cli, client; "
             "print(sorted({m.split('.')[0] for m in sys.modules} - set(sys.stdlib_module_names) - {'ogi'}))")
    out = subprocess.run([_sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    third_party = [m for m in ast.literal_eval(out) if not m.startswith("_")]  # "__editable__…": pip's finder
    assert third_party == []


def test_the_client_finds_the_instance_where_the_engine_keeps_it(monkeypatch, tmp_path):
    """client.socket_path repeats engine/config.home_dir's rule (the client may not import the
    engine): both must name the same folder for every way of setting it."""
    from ogi import client
    from ogi.engine.config import home_dir

    cases = [{"OGI_HOME": str(tmp_path / "a")}, {"OGI_HOME": "~/ogi-x"}, {"XDG_DATA_HOME": str(tmp_path / "xdg")},
             {"HOME": str(tmp_path / "home")}]
    for env in cases:
        for var in ("OGI_HOME", "XDG_DATA_HOME", "OGI_SOCKET"):
            monkeypatch.delenv(var, raising=False)
        for var, value in env.items():
            monkeypatch.setenv(var, value)
        assert client.socket_path() == str(home_dir() / "ogi.sock"), env
