"""The CLI as a user runs it: exit codes, formats, fmt's guarantees, never a traceback."""
from __future__ import annotations

import json
import shutil

import pytest
from conftest import DEMO_NOW, EXAMPLES, run_cli

SEED = EXAMPLES / "segments" / "seed002.segql"


def test_check_examples_ok():
    code, out, err = run_cli("check", *sorted((EXAMPLES / "segments").glob("*.segql")))
    assert code == 0, err
    assert out.startswith("ok:")


def test_help_on_every_command():
    for command in ("check", "fmt", "compile", "run"):
        code, out, _ = run_cli(command, "--help")
        assert code == 0 and "usage:" in out and "--schema" in out


def test_bad_usage_exits_2():
    assert run_cli("compile", "--select", "all", SEED)[0] == 2
    assert run_cli("nonsense")[0] == 2
    code, _, err = run_cli("compile", "-e", "x = 1")
    assert code == 2 and "--on" in err


def test_missing_file_exits_1_without_traceback(tmp_path):
    code, out, err = run_cli("check", tmp_path / "missing.segql", "--schema", EXAMPLES / "schema.yml")
    assert code == 1 and "E0001" in err and "Traceback" not in err


def test_bad_schema_reported_at_its_line(tmp_path):
    (tmp_path / "schema.yml").write_text("entities:\n  contacts:\n    properties: {x: strin}\n")
    (tmp_path / "s.segql").write_text("segment s on contacts where x = 1\n")
    code, out, err = run_cli("check", tmp_path / "s.segql")
    assert code == 1
    assert "schema.yml:3:" in err and "E0205" in err and 'did you mean "string"' in err


def test_run_lists_members_in_key_order_as_json_and_csv():
    code, out, err = run_cli("run", SEED, "--segment", "geographic", "--now", DEMO_NOW, "--format", "json",
                             "--columns", "country,state")
    assert code == 0, err
    rows = json.loads(out)
    keys = [r["id"] for r in rows]
    assert keys == sorted(keys) and rows
    assert all(r["country"] == "USA" and r["state"] in ("CA", "NY", "TX") for r in rows)
    code, csv_out, _ = run_cli("run", SEED, "--segment", "geographic", "--now", DEMO_NOW, "--format", "csv")
    assert csv_out.splitlines()[0] == "id" and len(csv_out.splitlines()) == len(rows) + 1
    code, count, _ = run_cli("run", SEED, "--segment", "geographic", "--now", DEMO_NOW, "--count")
    assert int(count) == len(rows)
    code, limited, _ = run_cli("run", SEED, "--segment", "geographic", "--now", DEMO_NOW, "--limit", "1",
                               "--format", "json")
    assert len(json.loads(limited)) == 1


def test_fmt_is_idempotent_and_keeps_meaning(tmp_path):
    import segql

    schema = segql.load_schema(EXAMPLES / "schema.yml")
    for source in sorted((EXAMPLES / "segments").glob("*.segql")):
        target = tmp_path / source.name
        shutil.copy(source, target)
        shutil.copy(EXAMPLES / "schema.yml", tmp_path / "schema.yml")
        code, _, err = run_cli("fmt", target)
        assert code == 0, err
        once = target.read_text()
        assert run_cli("fmt", "--check", target)[0] == 0
        run_cli("fmt", target)
        assert target.read_text() == once
        before = segql.check(source.read_text(), schema, path=str(source))
        after = segql.check(once, schema, path=str(target))
        assert before == after, source.name
        assert once.count("#") == source.read_text().count("#"), "comments are kept"


def test_fmt_check_reports_non_canonical(tmp_path):
    path = tmp_path / "s.segql"
    path.write_text("SEGMENT s ON contacts WHERE Opens>1   AND (clicks<2)\n")
    (tmp_path / "schema.yml").write_text((EXAMPLES / "schema.yml").read_text())
    code, _, err = run_cli("fmt", "--check", path)
    assert code == 1 and "would reformat" in err
    run_cli("fmt", path)
    assert path.read_text() == "segment s on contacts\nwhere\n  Opens > 1\n  and clicks < 2\n"


def test_invalid_utf8_is_a_diagnostic(tmp_path):
    path = tmp_path / "bad.segql"
    path.write_bytes(b'segment s on contacts where country = "\xff"\n')
    code, _, err = run_cli("check", path, "--schema", EXAMPLES / "schema.yml")
    assert code == 1 and "E0100" in err and "Traceback" not in err


def _referenced_error_project(tmp_path):
    shutil.copy(EXAMPLES / "schema.yml", tmp_path / "schema.yml")
    (tmp_path / "main.segql").write_text("# main file\n\nsegment main on contacts\n"
                                         "  where in segment other and lifetime_value > 5\n")
    (tmp_path / "other.segql").write_text("segment other on contacts\n  where\n    lifetime_value > 10 and\n"
                                          "    nosuchprop = 3\n")


def test_error_in_a_referenced_segment_names_its_own_file_line_and_source(tmp_path):
    """An error inside `other` (reached by `in segment other`) is reported at other.segql's line and
    column, with other.segql's source line and caret, and says where it is used."""
    _referenced_error_project(tmp_path)
    for args in (["check", "main.segql"], ["compile", "main.segql", "--dialect", "duckdb"],
                 ["check", "main.segql", "other.segql"]):
        code, out, err = run_cli(*args, cwd=tmp_path)
        assert code == 1, (args, out, err)
        assert "other.segql:4:5: error[E0301]" in err, (args, err)
        assert "4 |     nosuchprop = 3\n  |     ^^^^^^^^^^" in err, (args, err)
        assert "main.segql:4:5" not in err, (args, err)
        assert "used by `in segment other` at main.segql:4:9" in err, (args, err)
        assert err.count("error[E0301]") == 1, (args, err)
        assert "Traceback" not in err


def test_decimals_are_written_exactly_in_json_and_csv(tmp_path, capsys):
    """A NUMERIC value or a bound decimal is printed with all its digits: `json` writes only floats, so
    0.1000000000000000000000001 came out as 0.1 and 12345678901234567.89 as 1.2345678901234568e+16."""
    import duckdb

    from segql import cli

    schema = tmp_path / "schema.yml"
    schema.write_text("entities:\n  things:\n    table: things\n    key: id\n"
                      "    properties: {id: integer, amount: number, label: string, ext: string, ratio: number}\n")
    db = tmp_path / "w.duckdb"
    con = duckdb.connect(str(db))
    con.execute("CREATE TABLE things (id INTEGER, amount DECIMAL(38, 20), label VARCHAR, ext UUID, ratio DOUBLE)")
    con.execute("INSERT INTO things VALUES (1, 12345678901234567.89, 'a', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', "
                "'nan'), (2, 0.1, 'x:0', NULL, 'inf')")
    con.close()
    common = ["--schema", str(schema), "--db", f"duckdb:///{db}", "-e", "amount > 0", "--on", "things",
              "--columns", "amount,label,ext,ratio"]
    assert cli.main(["run", *common, "--format", "json"]) == 0
    out = capsys.readouterr().out
    assert '"amount": 12345678901234567.89000000000000000000' in out and '"amount": 0.10000000000000000000' in out
    rows = json.loads(out, parse_float=__import__("decimal").Decimal,
                      parse_constant=lambda c: pytest.fail(f"{c} is not JSON"))  # a DOUBLE NaN/inf is null
    assert [r["ratio"] for r in rows] == [None, None]
    assert [r["label"] for r in rows] == ["a", "x:0"]
    assert [r["ext"] for r in rows] == ["a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", None]  # a uuid column: its text
    # (it was an internal error, exit 3: "UUID is not JSON")
    assert cli.main(["run", *common, "--format", "csv"]) == 0
    assert "1,12345678901234567.89000000000000000000,a,a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11,nan" in capsys.readouterr().out
    assert cli.main(["compile", "-e", "amount = 0.1000000000000000000000001", "--on", "things", "--schema",
                     str(schema), "--dialect", "postgres", "--params", "named", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out, parse_float=str)["params"] == {"p1": "0.1000000000000000000000001"}
