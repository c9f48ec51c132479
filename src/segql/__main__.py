from segql.cli import entry

entry()
