"""Files the engine keeps beside the database (letters, backups), and where an `--out` may write.

`output_target(out)` is the one rule for every file a command writes where the user says
(`ogi audit export --out`, `ogi report ... --out`, `ogi states diagram --out`, `ogi letter
render --out`): the instance's own files are never overwritten. It refuses a target that leads
(symbolic links followed, `..` resolved) to the database or its -wal/-shm/-journal, the
configuration, the error log, anything in the letters, keys or backups folder, or any file
already in the instance folder other than a previous export (exports/); an existing file
elsewhere that is the same file (a hard link) as one of those; and an existing target that is
not a regular file (a directory, device, FIFO or socket). `write_output` writes through it
(letters/pdf.py write_output: a new file that replaces the target, never written through).
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

# The scheduler's lock file sits next to the SQLite database (engine/notify/scheduler.py).
_DATABASE_NEIGHBOURS = ("-wal", "-shm", "-journal", ".scheduler.lock")
_KEPT_FOLDERS = ("letters", "keys", "backups")  # deployment.PRIVATE_FOLDERS other than exports


def sha256_file(path: Path) -> str:
    """The SHA-256 of a file, read in 1 MiB blocks (a backup may be gigabytes)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def write_output(data: bytes | str, out: str | Path) -> Path:
    """Write a report, dossier or picture where `--out` says, after `output_target` allowed it;
    through the service, into the file the asker's own client opened (adopt_client_file)."""
    from ...letters.pdf import write_output as write

    fd = _CLIENT_FILES.get(os.path.abspath(os.path.expanduser(str(out))))
    if fd is not None:
        return _write_client_file(fd, data, Path(out))
    return write(data, out, check=output_target)


_CLIENT_FILES: dict[str, int] = {}  # absolute path -> descriptor, for the one request of this process


def adopt_client_file(path: str, fd: int) -> None:
    """The service was handed the asker's `--out` file, opened by the client with the asker's own
    rights (client._own_output): written there, the report is the asker's file, and nothing of
    the instance can be reached through it (the guard of output_target is not needed)."""
    _CLIENT_FILES[os.path.abspath(path)] = fd


def _write_client_file(fd: int, data: bytes | str, shown: Path) -> Path:
    from ...errors import InputError, os_reason

    view = memoryview(data.encode("utf-8") if isinstance(data, str) else data)
    try:
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        while view:
            view = view[os.write(fd, view):]
    except OSError as exc:
        raise InputError(f"无法写入 {shown}：{os_reason(exc)}") from None
    return shown


def _real(path: Path | str) -> Path:
    return Path(os.path.realpath(os.path.expanduser(str(path))))


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def _protected() -> tuple[Path, Path, list[tuple[str, Path]], list[tuple[str, Path]]]:
    """(instance folder, exports folder, [(label, file)], [(label, folder)]), all resolved."""
    from ..deployment import PRIVATE_FOLDERS, layout

    lay = layout()
    files = [("配置文件", _real(lay.config))]
    if lay.database is not None:
        db = _real(lay.database)
        files.append(("数据库", db))
        files += [("数据库附属文件", db.with_name(db.name + s)) for s in _DATABASE_NEIGHBOURS]
    files += [(label, _real(p)) for label, p in lay.files]
    by_name = {name: (label, _real(path)) for (label, name), (_l, path) in zip(PRIVATE_FOLDERS, lay.folders)}
    return _real(lay.home), by_name["exports"][1], files, [by_name[n] for n in _KEPT_FOLDERS]


def output_target(out: str | Path) -> Path:
    """Where `out` may be written (the resolved path); InputError saying why not otherwise."""
    from ...errors import InputError
    from ...letters.pdf import plain_output_target

    shown = Path(out).expanduser()
    target = plain_output_target(shown)  # refuses existing directories, devices, FIFOs, sockets
    home, exports, files, folders = _protected()
    elsewhere = f"请写到导出目录 {exports} 或实例目录之外"

    def refuse(what: str) -> InputError:
        return InputError(f"不能写入 {shown}：{what}，导出文件不得覆盖实例的数据；{elsewhere}")

    for label, path in files:
        if target == path:
            raise refuse(f"这是本实例的{label} {path}")
    for label, folder in folders:
        if _inside(target, folder):
            raise refuse(f"它在本实例的{label} {folder} 中")
    try:
        st = os.stat(target)
    except OSError:
        st = None
    if st is None:
        return target  # a new file: anywhere but the folders and names above
    if _inside(target, home) and not _inside(target, exports):
        raise refuse(f"这是实例目录 {home} 中已有的文件")
    if st.st_nlink > 1:
        same = _same_file(st, home, exports, files, folders)
        if same is not None:
            raise refuse(f"它与本实例的文件 {same} 是同一个文件（硬链接）")
    return target


def _same_file(st: os.stat_result, home: Path, exports: Path, files, folders) -> Path | None:
    """An instance file (not an export) that is the same file as `st` (a hard link), if any.
    Only asked for a target with more than one link, so the folders are walked rarely."""
    key = (st.st_dev, st.st_ino)

    def same(path: Path) -> bool:
        try:
            s = os.lstat(path)
        except OSError:
            return False
        return (s.st_dev, s.st_ino) == key

    for _label, path in files:
        if same(path):
            return path
    for root in [home] + [folder for _label, folder in folders if not _inside(folder, home)]:
        for dirpath, dirnames, filenames in os.walk(root):
            here = Path(dirpath)
            if _inside(here, exports):
                dirnames[:] = []
                continue
            for name in filenames:
                if same(here / name):
                    return here / name
    return None
