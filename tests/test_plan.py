"""`segql plan` / `segql apply` (SPEC §6.4), `segql segments …` and the config file (segql.toml /
[tool.segql]): plan's enter/leave sets against an independent computation, all-or-nothing apply, the
output formats, and diagnostics like every other command."""
from __future__ import annotations

import json

import pytest
from conftest import EXAMPLES

import segql
from segql import cli
from segql.errors import SegqlError
from segql.ops.config import load_config
from segql.ops.run import list_rows, open_engine
from segql.ops.store.plan import apply, plan

SCHEMA = EXAMPLES / "schema.yml"
NOW = "2026-11-15T12:00:00Z"
OLD = """\
segment engaged on contacts
  title "Engaged"
where
  opens > 5
  and country = "USA"
  and not in segment churned

segment churned on contacts
  title "Churned"
where
  last_activity > 60 days ago or last_activity is null

segment gone on contacts
  title "Going away"
where
  is_vip
"""
NEW = """\
segment engaged on contacts
  title "Engaged"
where
  opens > 3
  and country = "USA"
  and clicks >= 2
  and not in segment churned

segment churned on contacts
  title "Churned"
where
  last_activity > 30 days ago or last_activity is null

segment fresh on contacts
  title "Fresh"
where
  signup_date in last 90 days
"""


def members(text: str, slug: str) -> set:
    """Independently: the segment run with segql.ops.run on the demo data at NOW."""
    schema = segql.load_schema(str(SCHEMA))
    seg = segql.to_ir(text, schema, segment=slug)
    engine = open_engine(None, schema)
    try:
        return {r[0] for r in list_rows(seg, schema, engine, now=NOW)}
    finally:
        engine.close()


@pytest.fixture
def files(tmp_path):
    old, new = tmp_path / "old", tmp_path / "new"
    old.mkdir()
    new.mkdir()
    (old / "segments.segql").write_text(OLD)
    (new / "segments.segql").write_text(NEW)
    return old / "segments.segql", new / "segments.segql"


def test_plan_enter_and_leave_equal_an_independent_computation(files, tmp_path):
    old_file, new_file = files
    segments = segql.open_store(f"sqlite:///{tmp_path / 's.db'}", schema=str(SCHEMA))
    apply(segments, [old_file], now=NOW)
    assert sorted(s.slug for s in segments.find()) == ["churned", "engaged", "gone"]
    actions = {a.slug: a for a in plan(segments, [new_file], now=NOW)}
    assert {k: a.action for k, a in actions.items()} == {"engaged": "change", "churned": "change",
                                                          "fresh": "create", "gone": "delete"}
    for slug in ("engaged", "churned"):
        before, after = members(OLD, slug), members(NEW, slug)
        a = actions[slug]
        assert (a.entered, a.left) == (len(after - before), len(before - after)), slug
        assert set(a.entered_keys) <= after - before and set(a.left_keys) <= before - after
        assert len(a.entered_keys) == min(10, a.entered)
    assert actions["fresh"].entered == len(members(NEW, "fresh"))
    assert actions["gone"].left == len(members(OLD, "gone")) > 0
    assert "-  last_activity > 60 days ago" in [d.strip() for d in actions["churned"].diff] or any(
        "60 days ago" in d and d.startswith("-") for d in actions["churned"].diff)
    # causes: who left `engaged` failed the added `clicks >= 2` (or the redefined churned reference)
    causes = {c["condition"]: c for c in actions["engaged"].causes}
    assert "clicks >= 2" in causes and causes["clicks >= 2"]["change"] == "added"
    assert "not in segment churned" in causes and causes["not in segment churned"]["change"] == "redefined"
    schema = segql.load_schema(str(SCHEMA))
    clicks = {r[0] for r in list_rows(segql.to_ir("clicks >= 2", schema, on="contacts"), schema,
                                      open_engine(None, schema), now=NOW)}
    left = members(OLD, "engaged") - members(NEW, "engaged")
    assert causes["clicks >= 2"]["left"] == len(left - clicks)


def test_apply_is_all_or_nothing(files, tmp_path, monkeypatch):
    old_file, new_file = files
    segments = segql.open_store(f"sqlite:///{tmp_path / 's.db'}", schema=str(SCHEMA))
    apply(segments, [old_file], now=NOW)
    before = [s.to_dict() for s in segments.find(sort="slug")]
    from segql.ops.store import sdk

    real = sdk.Segments._delete_rows

    def boom(self, seg_id):  # the last step fails: nothing of this apply may remain
        real(self, seg_id)
        raise SegqlError("E0809", "store error (test): disk full")

    monkeypatch.setattr(sdk.Segments, "_delete_rows", boom)
    with pytest.raises(SegqlError):
        apply(segments, [new_file], now=NOW)
    assert [s.to_dict() for s in segments.find(sort="slug")] == before
    monkeypatch.undo()
    apply(segments, [new_file], now=NOW)
    assert sorted(s.slug for s in segments.find()) == ["churned", "engaged", "fresh"]
    assert segments.get("engaged").version == 2
    assert [a.action for a in plan(segments, [new_file], now=NOW)] == ["unchanged"] * 3


def test_plan_and_apply_on_the_command_line(files, tmp_path, capsys):
    old_file, new_file = files
    store = f"sqlite:///{tmp_path / 's.db'}"
    common = ["--schema", str(SCHEMA), "--store", store, "--now", NOW]
    assert cli.main(["apply", str(old_file), *common]) == 0
    capsys.readouterr()
    assert cli.main(["plan", str(new_file), *common, "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["summary"] == {"create": 1, "change": 2, "delete": 1, "unchanged": 0}
    assert cli.main(["plan", str(new_file), *common, "--format", "github"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(f"::notice file={new_file},line=1,title=segql plan%3A change engaged::change "
                               "segment engaged")
    assert cli.main(["plan", str(new_file), *common]) == 0
    text = capsys.readouterr().out
    assert "~ change churned" in text and "- delete gone" in text and "because of added: clicks >= 2" in text
    bad = tmp_path / "bad.segql"
    bad.write_text("segment x on contacts\nwhere\n  contry = \"US\"\n")
    assert cli.main(["apply", str(bad), *common]) == 1
    err = capsys.readouterr().err
    assert f"{bad}:3:3: error[E0301]" in err and "did you mean \"country\"?" in err
    assert cli.main(["segments", "list", "--schema", str(SCHEMA), "--store", store, "--format", "json"]) == 0
    assert sorted(s["slug"] for s in json.loads(capsys.readouterr().out)) == ["churned", "engaged", "gone"]


def test_segments_commands(tmp_path, capsys):
    base = ["--schema", str(SCHEMA), "--store", f"sqlite:///{tmp_path / 's.db'}"]
    assert cli.main(["segments", "create", "--name", "US VIPs", "--criteria", 'country = "USA" and is_vip',
                     "--type", "Contact", *base, "--format", "json"]) == 0
    made = json.loads(capsys.readouterr().out)
    assert made["slug"] == "us-vips" and made["object_type"] == "contacts"
    assert cli.main(["segments", "create", "--name", "Mongo", "--conditions", '{"opens": {"$gt": 3}}',
                     "--type", "contacts", *base]) == 0
    assert cli.main(["segments", "refresh", "us-vips", "mongo", *base, "--now", NOW, "--format", "json"]) == 0
    capsys.readouterr()
    assert cli.main(["segments", "update", "us-vips", "--description", "hand-checked", *base]) == 0
    assert "version 2" in capsys.readouterr().out
    assert cli.main(["segments", "list", *base, "--sort=-member_count"]) == 0
    assert "us-vips" in capsys.readouterr().out
    out = tmp_path / "export.json"
    assert cli.main(["segments", "export", *base, "-o", str(out)]) == 0
    other = ["--schema", str(SCHEMA), "--store", f"sqlite:///{tmp_path / 'other.db'}"]
    assert cli.main(["segments", "import", str(out), *other]) == 0
    assert "imported 2 segments" in capsys.readouterr().out
    assert cli.main(["segments", "delete", "mongo", *base]) == 0
    assert cli.main(["segments", "get", "mongo", *base]) == 1
    assert "error[E0801]" in capsys.readouterr().err
    assert cli.main(["segments", "create", "--name", "x" * 101, "--criteria", "opens > 1", "--type", "contacts",
                     *base]) == 1
    assert "error[E0157]" in capsys.readouterr().err
    assert cli.main(["segments", "get", *base]) == 2


def test_config_file_sets_defaults_and_flags_win(tmp_path, monkeypatch, capsys):
    project = tmp_path / "project"
    (project / "segments").mkdir(parents=True)
    (project / "segql.toml").write_text(f'schema = "{SCHEMA}"\nstore = "sqlite:///state/segql.db"\n'
                                        'dialect = "postgres"\n')
    (project / "state").mkdir()
    (project / "segments" / "a.segql").write_text("segment a on contacts\nwhere\n  opens > 3\n")
    monkeypatch.chdir(project / "segments")
    config = load_config()
    assert config["store"] == f"sqlite:///{project / 'state' / 'segql.db'}" and config["dialect"] == "postgres"
    assert cli.main(["apply", "a.segql", "--now", NOW]) == 0
    assert (project / "state" / "segql.db").exists()
    capsys.readouterr()
    assert cli.main(["compile", "-e", "opens > 3", "--on", "contacts"]) == 0
    assert '"opens" > 3' in capsys.readouterr().out  # the configured dialect (postgres quoting)
    assert cli.main(["compile", "-e", "opens > 3", "--on", "contacts", "--dialect", "mysql"]) == 0
    assert "`opens` > 3" in capsys.readouterr().out  # a flag wins
    (project / "segql.toml").unlink()
    (project / "pyproject.toml").write_text(f'[project]\nname = "x"\n\n[tool.segql]\nschema = "{SCHEMA}"\n'
                                            'dialect = "sqlite"\nstores = "oops"\n')
    assert cli.main(["compile", "-e", "opens > 3", "--on", "contacts"]) == 1
    err = capsys.readouterr().err
    assert "pyproject.toml:7:1: error[E0811]: unknown key 'stores'" in err
    (project / "pyproject.toml").write_text("[tool.segql\n")
    assert cli.main(["compile", "-e", "opens > 3", "--on", "contacts"]) == 1
    assert "error[E0811]" in capsys.readouterr().err
