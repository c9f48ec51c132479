"""Spark (`spark://local`): one local session per process, ANSI mode, TIMESTAMP_NTZ; rows via
createDataFrame into a temporary view."""
from __future__ import annotations

import os
import shutil

from segql.engines.base import Engine, _check_types, _missing, _refused
from segql.errors import SegqlError


class SparkEngine(Engine):
    schemes = ("spark",)
    dialect = "spark"
    paramstyle = "qmark"  # spark.sql(sql, args=[...]) with ? markers (Spark 3.5+); a dict uses :name
    transactional = False  # no transactions: `refresh` / `list` are refused (E0701)

    @classmethod
    def open(cls, url, parsed):
        try:
            import pyspark  # noqa: F401
        except ImportError:
            raise _missing("spark", "spark") from None
        if not (os.environ.get("JAVA_HOME") or shutil.which("java")):
            raise SegqlError("E0602", "cannot start Spark: no Java runtime found", hints=["install Java 17"])
        try:
            return cls(_spark_session())
        except Exception as e:
            raise _refused("a local Spark session", e) from None

    def __init__(self, spark):
        super().__init__()
        self.spark = spark

    def execute(self, sql, params=None):
        try:
            df = self.spark.sql(sql, args=params) if params is not None else self.spark.sql(sql)
            rows = df.collect()
        except Exception as e:
            raise SegqlError("E0604", f"Spark error: {str(e).strip().splitlines()[0]}") from e
        self.columns = list(df.columns)
        return [tuple(r) for r in rows]

    def create_table(self, name, columns, rows):
        _check_types(columns)
        from pyspark.sql import types as T
        st = {"string": T.StringType(), "integer": T.LongType(), "number": T.DoubleType(),
              "boolean": T.BooleanType(), "date": T.DateType(), "timestamp": T.TimestampNTZType(),
              "instant": T.TimestampType()}
        schema = T.StructType([T.StructField(c, st[t], True) for c, t in columns.items()])
        conv = [(lambda v: None if v is None else float(v)) if t == "number" else (lambda v: v)
                for t in columns.values()]
        data = [tuple(f(v) for f, v in zip(conv, r)) for r in rows]
        self.spark.createDataFrame(data, schema).createOrReplaceTempView(name)

    def close(self):
        pass  # the session is shared by the process (see _spark_session)


_SPARK = None


def _spark_session():
    """One local Spark session per process (start-up costs ~10 s)."""
    global _SPARK
    if _SPARK is None:
        from pyspark.sql import SparkSession
        _SPARK = (SparkSession.builder.master("local[2]").appName("segql")
                  .config("spark.sql.shuffle.partitions", "1")
                  .config("spark.ui.enabled", "false")
                  .config("spark.ui.showConsoleProgress", "false")
                  .config("spark.sql.ansi.enabled", "true")
                  .getOrCreate())
        _SPARK.sparkContext.setLogLevel("ERROR")
    return _SPARK
