"""Safety limits: they always apply, so no input can crash segql or run away with time or memory.
(Policy limits — max conditions, max depth — come from the schema and apply only when it sets them.)"""

MAX_INPUT_CHARS = 2_000_000      # a segment file or JSON document
MAX_NESTING = 200                # levels of and/or/not/parentheses/calls in one condition
MAX_LEAF_CONDITIONS = 50_000     # leaf conditions in one segment, referenced segments included
MAX_JSON_DEPTH = 200
MAX_SCHEMA_BYTES = 4_000_000       # a schema file
