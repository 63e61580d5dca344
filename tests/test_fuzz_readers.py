"""Mutated files against every reader and the whole import (issue 13, property-based).

Valid xlsx, xls, ods, csv and XML files are mutated (bytes flipped, set, inserted,
deleted, repeated, the file cut short; for zip formats also the XML inside a part, then
zipped again, so the damage reaches the parsers behind the zip). The only outcomes
allowed are records, rejections or one file-level refusal (FileRejected / a failed import
with a reason): never another exception, a hang (hypothesis deadline, the reader's time
limit) or a dead worker (this process runs the embedded worker).

Bounded for CI (about 40 s). `make fuzz` runs longer: MUARA_FUZZ_EXAMPLES sets the number
of examples of each reader test (the suite's 25), the whole-import tests get a quarter of
it (the suite's 6).
"""
import collections
import datetime as dt
import io
import json
import os
import zipfile
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.importing.detection import detect_format
from app.importing.faults import FileRejected
from app.importing.returns.reading import open_returns
from app.importing.safe_read import open_guarded
from app.importing.sandbox import ReadLimits
from tests.factories import make_distributor, make_returns_distributor, set_line

DATA = Path(__file__).parent / "data"
EXAMPLES = int(os.environ.get("MUARA_FUZZ_EXAMPLES", "0"))
FINAL = {"archived", "needs_attention", "failed", "imported"}
# Outcomes of the examples of the running test: printed by `make fuzz` (pytest -s).
OUTCOMES = collections.Counter()


def event(outcome):
    OUTCOMES[outcome] += 1


@pytest.fixture(autouse=True)
def outcome_report(request):
    OUTCOMES.clear()
    yield
    if EXAMPLES:
        tried = sum(OUTCOMES.values())
        print(f"\n{request.node.name}: {tried} inputs: "
              + ", ".join(f"{name} {count}" for name, count in OUTCOMES.most_common()))


def _xlsx():
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["a", "b", "When"])
    for n in range(1, 20):
        ws.append([f"C{n:03d}", f"Toko {n}", dt.date(2025, 1, n)])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _csv():
    rows = ["a;b;When"] + [f"C{n:03d};Toko {n} Café;2025-01-{n:02d}" for n in range(1, 20)]
    return "\r\n".join(rows).encode("cp1252")


SEEDS = {
    "xlsx": _xlsx(),
    "xls": (DATA / "realworld" / "xlrd_ragged.xls").read_bytes(),
    "ods": (DATA / "realworld" / "calamine_number_rows_repeated.ods").read_bytes(),
    "csv": _csv(),
    "xml": (DATA / "returns" / "seed_minimal.xml").read_bytes(),
}


@st.composite
def byte_mutations(draw, seed):
    data = bytearray(seed)
    for _ in range(draw(st.integers(1, 6))):
        if not data:
            break
        kind = draw(st.sampled_from(["flip", "set", "insert", "delete", "repeat", "cut"]))
        pos = draw(st.integers(0, len(data) - 1))
        if kind == "flip":
            data[pos] ^= 1 << draw(st.integers(0, 7))
        elif kind == "set":
            data[pos] = draw(st.sampled_from([0, 0xFF, 0x7F, 0x80, ord("<"), ord('"'), ord(";")]))
        elif kind == "insert":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=16))
        elif kind == "delete":
            del data[pos:pos + draw(st.integers(1, 64))]
        elif kind == "repeat":
            data[pos:pos] = data[pos:pos + draw(st.integers(1, 256))] * draw(st.integers(2, 8))
        else:
            del data[pos:]
    return bytes(data)


@st.composite
def part_mutations(draw, seed):
    """Damage one part inside the zip (its XML), and zip the package again."""
    with zipfile.ZipFile(io.BytesIO(seed)) as zin:
        infos = zin.infolist()
        victim = draw(st.sampled_from([i.filename for i in infos]))
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
            for info in infos:
                data = zin.read(info.filename)
                if info.filename == victim and data:
                    data = draw(byte_mutations(data))
                zout.writestr(info, data)
    return out.getvalue()


def mutated(fmt):
    seed = SEEDS[fmt]
    if fmt in ("xlsx", "ods"):
        return st.one_of(byte_mutations(seed), part_mutations(seed))
    return byte_mutations(seed)


def budget(default):
    """The suite's bounded number of examples, or MUARA_FUZZ_EXAMPLES scaled alike (the
    whole import costs about 20 times a read)."""
    examples = max(1, EXAMPLES * default // 25) if EXAMPLES else default
    return settings(max_examples=examples, deadline=dt.timedelta(seconds=30),
                    database=None, derandomize=not EXAMPLES,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow, HealthCheck.data_too_large])


def read_everything(path):
    """Every reader the job would use on this file, to the last record; FileRejected is
    the only exception allowed out."""
    with open(path, "rb") as fh:
        fmt = detect_format(fh.read(64 * 1024), "upload")
    if fmt == "xml":
        returns = open_returns(path)
        return sum(1 for _ in returns.returns())
    table = open_guarded(path, fmt, limits=ReadLimits(memory_bytes=512 * 1024 * 1024, seconds=20))
    count = 0
    for number, values in table.rows():
        assert isinstance(number, int) and isinstance(values, tuple)
        count += 1
    return count


@pytest.mark.parametrize("fmt", list(SEEDS))
def test_mutated_files_give_records_or_one_file_level_refusal(fmt, tmp_path):
    @budget(25)
    @given(data=mutated(fmt))
    def check(data):
        path = tmp_path / "upload"  # as the job spools it: no extension
        path.write_bytes(data)
        try:
            records = read_everything(str(path))
        except FileRejected as fault:
            assert fault.code and fault.message
            event(f"refused: {fault.code}")
        else:
            event("read" if records else "read, no records")
    check()


@pytest.mark.parametrize("fmt", ["xlsx", "xls", "ods", "csv"])
def test_mutated_spreadsheets_through_the_whole_import(app, runner, tmp_path, fmt):
    make_distributor(app, modules=("customers",), customers=())
    set_line(app, "D1", "customers", "code", source_column="a")
    set_line(app, "D1", "customers", "name", source_column="b")

    @budget(6)
    @given(data=mutated(fmt))
    def check(data):
        assert_import_ends(runner, tmp_path, data, "customers")
    check()


def test_mutated_returns_xml_through_the_whole_import(app, runner, tmp_path):
    make_returns_distributor(app)

    @budget(6)
    @given(data=mutated("xml"))
    def check(data):
        assert_import_ends(runner, tmp_path, data, "customer_returns")
    check()


def assert_import_ends(runner, tmp_path, data, module):
    """`muara import --wait` returns, with a final state and counts that add up, or the
    file is not taken (empty) with one line on stderr."""
    path = tmp_path / "upload"
    path.write_bytes(data)
    result = runner.invoke(args=["muara", "import", str(path), "--module", module,
                                 "--org", "D1", "--wait", "--force"])
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        result.exception
    if not result.stdout.strip():
        assert result.exit_code != 0 and result.stderr.startswith("Error: "), result.output
        event("not taken")
        return
    out = json.loads(result.stdout)
    assert out["status"] in FINAL, out
    if out["status"] == "failed":
        assert result.exit_code == 1 and out["error"]["reason"], out
        event(f"failed: {out['error']['reason']}")
    else:
        event(f"{out['status']}" + (", with rejections" if out["rejected"] else ""))
        assert result.exit_code == 0, out
        assert out["rows"] == out["accepted"] + out["rejected"], out
