"""Checking: names, types, to-many paths, time, functions, events and the segment library — syntax
tree + schema → typed IR (`checker`); the schema as segments see it (`schemas`); the portable regex
subset (`regex`); where `in segment x` finds x (`library`)."""
