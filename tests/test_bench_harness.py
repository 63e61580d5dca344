"""`make bench` (bench/run_all.py, issue 15): each step's trailing JSON lines are its
figures; a missing script, a failed step and a step without figures are listed as such;
one table and bench-out/summary.json at the end."""
import importlib.util
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def run_all():
    spec = importlib.util.spec_from_file_location("bench_run_all", ROOT / "bench" / "run_all.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_figures_are_the_trailing_json_lines(run_all):
    lines = ['{"figure": "early", "value": 1}\n', "a table\n",
             '{"figure": "a", "value": 2, "met": true}\n', "\n",
             '{"figure": "b", "value": 3, "met": false}\n', "\n"]
    assert [f["figure"] for f in run_all.figure_lines(lines)] == ["a", "b"]
    assert run_all.figure_lines(["done\n"]) == []
    assert run_all.figure_lines(['{"not": "a figure"}\n']) == []


def test_a_run_lists_every_step_and_writes_the_summary(run_all, tmp_path, monkeypatch, capsys):
    bench = tmp_path / "bench"
    bench.mkdir()
    (bench / "good.py").write_text(
        "import json, os\n"
        "print('working on', os.environ['BENCH_ROWS'])\n"
        "print(json.dumps({'figure': 'speed', 'value': 50, 'unit': 'rows/s', 'against': "
        "'ceiling', 'against_value': 100, 'ratio': 0.5, 'target': '>= 0.8x', 'met': False}))\n"
        "print(json.dumps({'figure': 'memory', 'value': 90, 'unit': 'MB', 'against': "
        "'target', 'against_value': 250, 'ratio': 0.36, 'target': '< 250 MB', 'met': True}))\n")
    (bench / "broken.py").write_text("import sys\nprint('half way')\nsys.exit(3)\n")
    (bench / "quiet.py").write_text("print('no figures here')\n")
    monkeypatch.setattr(run_all, "BENCH", bench)
    monkeypatch.setattr(run_all, "steps", lambda rows: [
        ("good", ["good.py"], [], "two figures"),
        ("gone", ["not_written_yet.py"], [], "a script someone is writing"),
        ("broken", ["broken.py"], [], "fails"),
        ("quiet", ["missing.py", "quiet.py"], [], "the second candidate runs"),
    ])
    out = tmp_path / "out"
    status = run_all.main(["--rows", "1000", "--out", str(out)])
    assert status == 1  # a step failed
    printed = capsys.readouterr().out
    assert "working on 1000" in printed
    table = printed[printed.index("step "):]
    assert "speed" in table and "0.50x" in table and "NOT MET" in table
    assert "memory" in table and " met" in table
    assert "not run (script missing)" in table
    assert "failed: exit 3" in table
    assert "ran, printed no figure" in table
    assert "Targets met: 1 of 2 judged figures" in printed
    summary = json.loads((out / "summary.json").read_text())
    assert summary["rows"] == 1000
    assert [(s["step"], s["status"]) for s in summary["steps"]] == [
        ("good", "ok"), ("gone", "not run (script missing)"), ("broken", "failed: exit 3"),
        ("quiet", "ran, printed no figure")]
    assert summary["steps"][0]["figures"][0]["ratio"] == 0.5
    assert summary["steps"][3]["script"] == "quiet.py"
    assert (summary["targets_met"], summary["targets_judged"]) == (1, 2)


def test_the_import_bench_judges_its_figures(run_all):
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import bench_import
    finally:
        sys.path.remove(str(ROOT / "bench"))
    case = {"format": "csv", "rows": 100_000, "seconds": 2.0, "rows_per_s": 50_000.0,
            "peak_mb": 180.0, "bare_rows_per_s": 1_000_000.0, "accepted": 100_000,
            "rejected": 0}
    results = [dict(case, database="sqlite", reject_rate=0),
               dict(case, database="sqlite", reject_rate=0.3, seconds=2.5, rows_per_s=40_000.0,
                    accepted=70_000, rejected=30_000),
               dict(case, database="postgresql", reject_rate=0, seconds=4.0,
                    rows_per_s=25_000.0)]
    found = {f["figure"]: f for f in bench_import.figures(results)}
    rejected = found["csv 100,000 rows sqlite: 30% rejected rows/s"]
    assert (rejected["ratio"], rejected["met"]) == (0.8, False)  # target >= 0.85x
    cost = found["csv 100,000 rows sqlite: cost of a rejected row (us)"]
    # accepted: 20 us a row; rejected: (2.5 s - 70,000 x 20 us) / 30,000 = 36.7 us
    assert cost["against_value"] == 20.0 and cost["value"] == pytest.approx(36.7, abs=0.1)
    assert cost["met"] is True
    postgres = found["csv 100,000 rows postgresql: PostgreSQL rows/s"]
    assert (postgres["ratio"], postgres["met"]) == (0.5, False)
    memory = found["csv 100,000 rows sqlite: peak MB of the import process"]
    assert memory["met"] is True and memory["against_value"] == 250
    assert found["csv 100,000 rows sqlite: import rows/s"]["met"] is None  # no csv target
