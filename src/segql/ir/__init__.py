"""The typed intermediate representation (`nodes`) and its one traversal (`visit`)."""
from segql.ir.nodes import *  # noqa: F401,F403
from segql.ir.nodes import OUTER_NODES, SCOPE_NODES, to_dict  # noqa: F401
from segql.ir.visit import children, rebuild, refers_outside, shift_scopes, walk  # noqa: F401
