"""Robustness: every input — files, schemas, segments, arguments — gets bounded work and a diagnostic,
never a hang, a memory blow-up or an internal error (exit 3). Each test names the class it guards."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from conftest import EXAMPLES, ROOT

SCHEMA = EXAMPLES / "schema.yml"


def cli(*args, timeout=60):
    """The CLI in a subprocess (a hang or a blow-up must fail the test, not the test run)."""
    proc = subprocess.run([sys.executable, "-m", "segql", *map(str, args)], capture_output=True, text=True,
                          cwd=ROOT, timeout=timeout)
    return proc.returncode, proc.stdout, proc.stderr


def diagnosed(result, code):
    rc, out, err = result
    assert rc == 1, (rc, out, err)
    assert f"error[{code}]" in err + out and "internal error" not in err and "Traceback" not in err, err
    return err


# ---- 1. unbounded reads --------------------------------------------------------------------------
@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_device_as_file_or_schema_is_refused_before_reading():
    assert "a device" in diagnosed(cli("compile", "/dev/zero", "--schema", SCHEMA, timeout=20), "E0001")
    seg = EXAMPLES / "segments" / "seed002.segql"
    assert "a device" in diagnosed(cli("check", seg, "--schema", "/dev/zero", timeout=20), "E0200")
    assert "a device" in diagnosed(cli("check", "/dev/zero", "--schema", SCHEMA, timeout=20), "E0001")


def test_fifo_as_file_and_beside_a_file_never_blocks(tmp_path):
    fifo = tmp_path / "pipe.segql"
    os.mkfifo(fifo)
    assert "named pipe" in diagnosed(cli("compile", fifo, "--schema", SCHEMA, timeout=20), "E0001")
    assert "named pipe" in diagnosed(cli("check", "a.segql", "--schema", fifo, timeout=20), "E0200")
    # an unresolved `in segment` searches the sibling files: the FIFO beside must be skipped
    (tmp_path / "b.segql").write_text("segment b on contacts where in segment zz\n")
    assert "unknown segment 'zz'" in diagnosed(cli("check", tmp_path / "b.segql", "--schema", SCHEMA,
                                                   timeout=20), "E0314")


def test_oversized_files_are_refused_after_a_bounded_read(tmp_path):
    from segql import limits

    big = tmp_path / "big.segql"
    big.write_bytes(b" " * (limits.MAX_INPUT_CHARS * 4 + 1))
    diagnosed(cli("compile", big, "--schema", SCHEMA), "E0111")
    schema = tmp_path / "schema.yml"
    schema.write_bytes(b"#" * (limits.MAX_SCHEMA_BYTES + 1))
    diagnosed(cli("check", EXAMPLES / "segments" / "seed002.segql", "--schema", schema), "E0111")


def test_symlink_loop_and_directory_are_diagnostics(tmp_path):
    (tmp_path / "a.segql").symlink_to(tmp_path / "b.segql")
    (tmp_path / "b.segql").symlink_to(tmp_path / "a.segql")
    assert "symbolic link loop" in diagnosed(cli("check", tmp_path / "a.segql", "--schema", SCHEMA), "E0001")
    assert "symbolic link loop" in diagnosed(cli("check", SCHEMA, "--schema", tmp_path / "a.segql"), "E0200")
    assert "a directory" in diagnosed(cli("compile", tmp_path, "--schema", SCHEMA), "E0001")
