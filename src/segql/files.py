"""Reading input files (segments, schemas) safely: regular files only, at most a bounded number of bytes.

A FIFO, a device (`/dev/zero`), a directory or a symlink loop is refused with a diagnostic before any
read, so no input file can block segql forever or make it read gigabytes before a size check.
"""
from __future__ import annotations

import errno
import os
import stat

from segql.errors import SegqlError

_NONBLOCK = getattr(os, "O_NONBLOCK", 0)  # opening a FIFO swapped in after the stat must not block


def read_bytes(path: str, limit: int, *, what: str = "file", code: str = "E0001",
               size_code: str = "E0111", missing_hints=()) -> bytes:
    """The bytes of the regular file `path`, reading at most `limit + 1` of them; a missing, unreadable
    or non-regular file is `code`, a file over `limit` bytes is `size_code`."""
    def fail(message, hints=(), c=code):
        return SegqlError(c, message, hints=list(hints), path=path)

    try:
        fd = os.open(path, os.O_RDONLY | _NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise fail(f"{what} {path} not found", missing_hints) from None
    except OSError as err:
        if err.errno == errno.ELOOP:
            raise fail(f"cannot read {what} {path}: a symbolic link loop",
                       ["fix the link so that it points at a file"]) from None
        raise fail(f"cannot read {what} {path}: {err.strerror or err}") from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            kind = ("a directory" if stat.S_ISDIR(mode) else "a named pipe (FIFO)" if stat.S_ISFIFO(mode)
                    else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "a socket"
                    if stat.S_ISSOCK(mode) else "not a regular file")
            raise fail(f"cannot read {what} {path}: it is {kind}", ["give the path of a regular file"])
        if _NONBLOCK:
            os.set_blocking(fd, True)
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as err:
        raise fail(f"cannot read {what} {path}: {err.strerror or err}") from None
    finally:
        os.close(fd)
    if size > limit:
        raise fail(f"{what} {path} is over the input size limit ({limit:,} bytes)",
                   ["split it into smaller files"], c=size_code)
    return b"".join(chunks)


def is_regular_file(path) -> bool:
    """True for a regular file (following symlinks); False for FIFOs, devices, directories, broken
    links and link loops — what a directory scan may safely open."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except (OSError, ValueError):
        return False
