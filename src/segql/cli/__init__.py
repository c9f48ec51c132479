"""The `segql` command line (SPEC §3): one module per command, each with `add(subparsers)` registering
its options and `run(args) -> exit code`; printing lives in `output`. Handlers import their work inside
`run` so that `segql --help` and each command load only what they need (start-up time).

Exit codes: 0 success; 1 the input is invalid (diagnostics on stderr); 2 bad command-line usage.
No Python traceback reaches a user for bad input, a bad schema, a missing driver or a refused
connection (set SEGQL_DEBUG=1 to see one for a genuine internal error).
"""
from __future__ import annotations

import argparse
import os
import sys

from segql.cli import (
    apply,
    check,
    compile,
    counts,
    explain,
    fmt,
    keys,
    lists,
    match,
    overlap,
    plan,
    playground,
    refresh,
    run,
    schema,
    segments,
    serve,
    webhooks,
    why,
)
from segql.cli.common import UsageError, apply_config
from segql.cli.output import emit_errors
from segql.errors import SegqlError

COMMANDS = (check, fmt, compile, run, counts, explain, why, match, overlap, refresh, lists, schema, segments, plan, apply,
            serve, keys, webhooks, playground)  # in `--help` order
USAGE_CODES = {"E0003", "E0004", "E0500"}  # choices a user makes on the command line (E0500: --dialect): exit 2


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse's own errors: exit 2, no traceback
        self.print_usage(sys.stderr)
        print(f"segql: error: {message}", file=sys.stderr)
        raise SystemExit(2)


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The whole command line; with `only` (a command's name), just that command's options, which parse
    its arguments alike at a fraction of the cost (each command's argparse set-up is start-up time)."""
    from segql import __version__

    parser = _Parser(prog="segql", description="Segments — dynamic groups of records defined by conditions — "
                     "checked against a schema and compiled to SQL for your warehouse.")
    parser.add_argument("--version", action="version", version=f"segql {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for command in COMMANDS:
        if only is None or _name(command) == only:
            command.add(sub)
    return parser


def _command_in(argv) -> str | None:
    """The command named in argv when it is the first argument and a known one (else None: the whole
    parser, for help, errors and anything unusual)."""
    return argv[0] if argv and argv[0] in {_name(c) for c in COMMANDS} else None


def _name(command) -> str:
    """The command a module registers: its own name, but `segql list` lives in `lists` (a builtin's name)."""
    return "list" if command is lists else command.__name__.rsplit(".", 1)[-1]


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(_command_in(argv))
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return 2
    try:
        apply_config(args)
        code = args.handler(args)
    except UsageError as err:
        print(f"segql {args.command}: error: {err}", file=sys.stderr)
        return 2
    except SegqlError as err:
        errors = getattr(err, "errors", [err])
        emit_errors(errors, "json" if getattr(args, "format", "text") == "json" else "text")
        return 2 if err.code in USAGE_CODES else 1
    except KeyboardInterrupt:
        print("segql: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except RecursionError:
        print("segql: error[E0113]: the input nests too deeply to process", file=sys.stderr)
        return 1
    except Exception as err:  # noqa: BLE001 - a bug in segql, not bad input: say so, briefly
        if os.environ.get("SEGQL_DEBUG"):
            raise
        print(f"segql: internal error: {type(err).__name__}: {err}", file=sys.stderr)
        print("  = hint: this is a bug in segql; rerun with SEGQL_DEBUG=1 for details and report it",
              file=sys.stderr)
        return 3
    sys.stdout.flush()
    return code


# commands that hold nothing open when they return (no engine, store, server or temporary files): the
# console script ends them with os._exit, skipping the interpreter's teardown of every imported module
# (≈ 6 % of a `segql compile`)
QUICK_EXIT = frozenset({"check", "fmt", "compile"})


def entry() -> None:
    """The console script (`segql`): `main`, then, for QUICK_EXIT commands, flush and `os._exit`."""
    code = main()
    command = next((a for a in sys.argv[1:] if not a.startswith("-")), None)
    if command in QUICK_EXIT:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except (OSError, ValueError):  # a closed pipe: let the normal exit report it as usual
            sys.exit(code)
        from segql import codecache

        codecache.save()  # what atexit would have done
        os._exit(code)
    sys.exit(code)


if __name__ == "__main__":  # pragma: no cover
    entry()
