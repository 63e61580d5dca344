"""bench/bench_import.py ends with issue 15's figure: PostgreSQL's rows/s against
SQLite's on the same clean file, as one JSON object per file measured on both."""
import importlib.util
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "bench" / "bench_import.py"


def _bench():
    spec = importlib.util.spec_from_file_location("bench_import_under_test", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _case(database, rows_per_s, rows=1_000_000, reject_rate=0, fmt="csv", **extra):
    return {"format": fmt, "rows": rows, "reject_rate": reject_rate, "database": database,
            "rows_per_s": rows_per_s, **extra}


def test_postgresql_is_compared_with_sqlite_on_the_same_clean_file():
    figures = _bench().postgres_figures([
        _case("sqlite", 60_000.0), _case("postgresql", 45_000.0),
        _case("sqlite", 40_000.0, reject_rate=0.3), _case("postgresql", 20_000.0, reject_rate=0.3),
        _case("postgresql", 50_000.0, rows=100_000),  # no SQLite run of that file
    ])
    assert figures == [{"figure": "PostgreSQL vs SQLite, 1M csv", "value": 45_000.0,
                        "unit": "rows/s", "against": "SQLite", "against_value": 60_000.0,
                        "ratio": 0.75, "target": ">= 1.0", "met": False}]


def test_the_target_is_met_at_equal_speed_and_a_failed_case_gives_no_figure():
    bench = _bench()
    met = bench.postgres_figures([_case("sqlite", 50_000.0, rows=100_000),
                                  _case("postgresql", 50_000.0, rows=100_000)])
    assert [(f["figure"], f["ratio"], f["met"]) for f in met] == [
        ("PostgreSQL vs SQLite, 100,000 csv", 1.0, True)]
    assert bench.postgres_figures([_case("sqlite", 50_000.0),
                                   _case("postgresql", 0, error="job process failed")]) == []
