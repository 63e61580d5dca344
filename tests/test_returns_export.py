"""Export of customer returns in their import format, and the round trip: export, import
into an empty database, export again: the same bytes."""
import pytest

from app.extensions import db
from tests.conftest import KEEP_TABLES
from tests.factories import make_returns_distributor
from tests.returns_helpers import (
    MINIMAL,
    check_counts,
    detail,
    doc,
    import_returns,
    stored_returns,
    write,
)

RICH = (MINIMAL + "<number>R1</number><date>2025-03-04</date>"
        "<InfoTexts><language>pl</language><text><html>Tekst &amp; <b>bazy</b></html></text>"
        "<contentType>text/html</contentType></InfoTexts>"
        "<InfoTexts><language>en</language><text>Note &lt;1&gt;</text></InfoTexts>"
        "<TextAssignments><number>2</number><type>memo</type><text><language>de</language>"
        "<text>Hallo</text></text></TextAssignments>"
        + detail("<status>released</status><InfoTexts><language>en</language><text>Dented"
                 "</text></InfoTexts><SubDetails><subNumber>1</subNumber><item><number>P001"
                 "</number></item><totalQuantity><amount>0.5</amount><uom><code>btl</code>"
                 "</uom></totalQuantity><InfoTexts><language>en</language><text>Part</text>"
                 "</InfoTexts></SubDetails>")
        + detail(item="P001", amount="1.25", unit="btl"))


def export(runner, path, *extra):
    result = runner.invoke(args=["muara", "export", "customer_returns", "--org", "D1",
                                 "--format", "xml", "--out", str(path), *extra])
    assert result.exit_code == 0, result.output
    return path.read_text(encoding="utf-8")


def empty_database(app):
    from flask_appbuilder import Model
    from sqlalchemy import delete
    with app.app_context():
        for table in reversed(Model.metadata.sorted_tables):
            if table.name not in KEEP_TABLES:
                db.session.execute(delete(table))
        db.session.commit()


def test_round_trip_gives_the_same_file(app, runner, tmp_path):
    make_returns_distributor(app)
    out = import_returns(runner, write(tmp_path, doc(
        RICH, MINIMAL + "<number>R0</number><status>blocked</status>",
        MINIMAL + "<autoRelease>true</autoRelease>" + detail())))
    check_counts(app, out)
    assert (out["accepted"], out["rejected"]) == (3, 0)
    first = export(runner, tmp_path / "first.xml")
    before = stored_returns(app)

    empty_database(app)
    make_returns_distributor(app)
    out = import_returns(runner, str(tmp_path / "first.xml"))
    check_counts(app, out)
    assert (out["accepted"], out["rejected"]) == (3, 0)
    second = export(runner, tmp_path / "second.xml")
    assert second == first
    assert stored_returns(app) == before
    assert "<canceled>" not in first


def test_export_content(app, runner, tmp_path):
    make_returns_distributor(app)
    import_returns(runner, write(tmp_path, doc(MINIMAL + "<number>R9</number>" + detail())))
    guid = stored_returns(app)[("KR", "R9")]["guid"]
    text = export(runner, tmp_path / "out.xml")
    assert f"<guid>{guid}</guid>\n    <number>R9</number>\n    <type>\n      <code>KR</code>" \
        in text
    assert "<totalQuantity>\n        <amount>10</amount>\n        <uom>\n          " \
           "<code>pc</code>" in text


def test_export_needs_the_xml_format(app, runner, tmp_path):
    make_returns_distributor(app)
    result = runner.invoke(args=["muara", "export", "customer_returns", "--org", "D1"])
    assert result.exit_code == 1
    assert result.stderr == ("Error: customer_returns are exported in their XML format: "
                             "--format xml\n")


@pytest.mark.parametrize("viewer, expected", [("imp_d1", 1), ("imp_d2", 0)])
def test_export_is_scoped_to_the_viewer(app, runner, world, tmp_path, viewer, expected):
    make_returns_distributor(app)
    make_returns_distributor(app, code="D2")
    world.user("imp_d1", "Importer", "D1")
    world.user("imp_d2", "Importer", "D2")
    import_returns(runner, write(tmp_path, doc(MINIMAL + detail())))
    text = export(runner, tmp_path / "out.xml", "--viewer", viewer)
    assert text.count("<CustomerReturn>") == expected


def test_a_principal_still_sees_a_shared_return_after_the_purge(app, runner, world, tmp_path):
    make_returns_distributor(app)  # connected to P1, the file's principal
    world.user("prin1", "Principal", "P1")
    import_returns(runner, write(tmp_path, doc(MINIMAL + detail())))
    assert export(runner, tmp_path / "before.xml", "--viewer", "prin1").count(
        "<CustomerReturn>") == 1
    purged = runner.invoke(args=["muara", "purge", "--days", "0"])
    assert purged.exit_code == 0 and '"deleted": 1' in purged.stdout
    assert export(runner, tmp_path / "after.xml", "--viewer", "prin1").count(
        "<CustomerReturn>") == 1
