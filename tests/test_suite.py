"""The test suite's own set-up (tests/conftest.py)."""
from __future__ import annotations

import os

from conftest import worker_url, xdist_group


def test_spark_tests_are_grouped_for_one_worker(request):
    """Its name puts it in the Spark group. Under `--dist loadgroup` xdist must see that group (it appends
    it to the test's id), or every worker would start a Spark session of its own."""
    assert request.node.get_closest_marker("xdist_group").args == ("spark",)
    if getattr(request.config.option, "loadgroup", False):
        assert request.node.nodeid.endswith("@spark"), request.node.nodeid


def test_tests_on_the_zetasql_evaluator_share_one_worker():
    """test_bigquery.py and the differential suite's BigQuery runs share one process's WebAssembly instance
    (tests/zetasql_engine.py `shared_wasm`); the other engines' differential runs and BigQuery's compile-only
    tests stay out of the group."""
    assert xdist_group("tests/test_bigquery.py::test_pinned_members_equal_duckdb") == "bigquery"
    for test in ("test_engines_agree_with_the_oracle[bigquery]", "test_evergreen_engines_agree_with_the_oracle[bigquery]",
                 "test_minimised_repro[bigquery-negative zero in a list]"):
        assert xdist_group(f"tests/test_adversarial.py::{test}") == "bigquery", test
    assert xdist_group("tests/test_adversarial.py::test_engines_agree_with_the_oracle[duckdb]") is None
    assert xdist_group("tests/test_adversarial.py::test_engines_agree_with_the_oracle[spark]") == "spark"
    assert xdist_group("tests/test_compile.py::test_golden_sql[bigquery]") is None


def test_each_worker_has_databases_of_its_own():
    assert worker_url("postgresql://postgres@127.0.0.1:5432/test", "gw1") == \
        "postgresql://postgres@127.0.0.1:5432/test_gw1"
    assert worker_url("mysql://root@127.0.0.1:3306", "gw0") == "mysql://root@127.0.0.1:3306/test_gw0"
    worker = os.environ.get("PYTEST_XDIST_WORKER")  # under xdist: the URLs this run uses are the worker's
    for var in ("SEGQL_TEST_POSTGRES_URL", "SEGQL_TEST_MYSQL_URL"):
        url = os.environ.get(var)
        if worker and url:
            assert url.endswith(f"_{worker}"), (var, url)
