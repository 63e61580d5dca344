"""The customer returns XML reader against hostile and broken files, through the import
job: XXE, billion laughs, a DTD fetched from a URL (refused: nothing read, nothing
fetched), wrong root or namespace, not well-formed XML (line and column), not XML."""
import http.server
import threading

import pytest

from app.importing.readers import FileRejected
from app.importing.returns.reading import open_returns
from tests.returns_helpers import (
    HEAD,
    MINIMAL,
    NS,
    detail,
    doc,
    import_returns,
    log_lines,
    stored_returns,
    write,
)

SECRET = "TOP-SECRET-7f3a9c"
REFUSED = ("The file declares a DOCTYPE (line {}, column 1): DTDs and entities are refused, "
           "as they can read local files or fetch URLs. Remove the DOCTYPE and upload the "
           "file again. Nothing was imported.")


@pytest.fixture
def http_spy():
    """A local HTTP server that counts the requests it gets (there must be none)."""
    requests = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            requests.append(self.path)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b'<!ENTITY leak "fetched">')

        def log_message(self, *args):
            pass
    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", requests
    server.shutdown()
    server.server_close()


def assert_nothing_leaked(app, out, secret=SECRET):
    assert secret not in str(out)
    for line in log_lines(app, out["import_id"]):
        assert secret not in str(line)
    assert stored_returns(app) == {}


def customer_is(entity):
    return MINIMAL.replace("<number>10010</number></CustomerPartner>",
                           f"<number>&{entity};</number></CustomerPartner>") + detail()


def test_xxe_reading_a_local_file_is_refused_and_nothing_read(app, runner, returns_d1, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET)
    text = ('<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<!DOCTYPE semiramis [<!ENTITY xxe SYSTEM "file://{secret}">]>\n'
            + doc(customer_is("xxe")).split("\n", 1)[1])
    out = import_returns(runner, write(tmp_path, text), ok=False)
    assert (out["status"], out["rows"]) == ("failed", 0)
    assert out["error"] == {"reason": "doctype_refused", "message": REFUSED.format(2)}
    assert_nothing_leaked(app, out)


def test_billion_laughs_is_refused(app, runner, returns_d1, tmp_path):
    entities = '<!ENTITY lol0 "lol">' + "".join(
        f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, 10))
    text = (f"<!DOCTYPE semiramis [{entities}]>\n"
            + doc(customer_is("lol9")).split("\n", 1)[1])
    out = import_returns(runner, write(tmp_path, text), ok=False)
    assert out["error"] == {"reason": "doctype_refused", "message": REFUSED.format(1)}
    assert_nothing_leaked(app, out, secret="lollollol")


def test_dtd_fetching_a_url_is_refused_and_nothing_fetched(app, runner, returns_d1, tmp_path,
                                                          http_spy):
    url, requests = http_spy
    text = (f'<?xml version="1.0"?>\n<!DOCTYPE semiramis SYSTEM "{url}/evil.dtd">\n'
            + doc(customer_is("leak")).split("\n", 1)[1])
    out = import_returns(runner, write(tmp_path, text), ok=False)
    assert out["error"] == {"reason": "doctype_refused", "message": REFUSED.format(2)}
    assert requests == []
    assert_nothing_leaked(app, out, secret="fetched")


def test_a_doctype_behind_a_long_prolog_is_refused_by_the_parser_check(
        app, runner, returns_d1, tmp_path, http_spy):
    """Past the pre-scanned head, the parser (entities, DTD loading and network off) sees
    the DOCTYPE; the root's start event refuses it before any return is read."""
    url, requests = http_spy
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET)
    text = ('<?xml version="1.0"?>\n<!--' + "x" * 70_000 + '-->\n'
            f'<!DOCTYPE semiramis SYSTEM "{url}/evil.dtd" [<!ENTITY xxe SYSTEM '
            f'"file://{secret}"><!ENTITY web SYSTEM "{url}/secret">]>\n'
            + doc(customer_is("xxe") + customer_is("web")).split("\n", 1)[1])
    out = import_returns(runner, write(tmp_path, text), ok=False)
    assert out["error"] == {
        "reason": "doctype_refused",
        "message": "The file declares a DOCTYPE: DTDs and entities are refused, as they can "
                   "read local files or fetch URLs. Remove the DOCTYPE and upload the file "
                   "again. Nothing was imported."}
    assert requests == []
    assert_nothing_leaked(app, out)


@pytest.mark.parametrize("text, reason, message", [
    (f'<returns xmlns="{NS}"/>', "wrong_root",
     f"The root element is <returns>; a customer returns file has the root <semiramis> in "
     f"the namespace {NS}."),
    ('<semiramis xmlns="com.example.Other"/>', "wrong_namespace",
     f"The root element <semiramis> has the namespace com.example.Other; a customer returns "
     f"file uses the namespace {NS}."),
    ("<semiramis/>", "wrong_namespace",
     f"The root element <semiramis> has no namespace; a customer returns file uses the "
     f"namespace {NS}."),
    (HEAD + "<CustomerReturn><number>1</number>\n</semiramis>", "not_well_formed",
     "The file is not well-formed XML: line 4, column 13: Opening and ending tag mismatch: "
     "CustomerReturn line 3 and semiramis. Nothing was imported: correct the file (it is "
     "never repaired automatically) and upload it again."),
    ("Return;Customer\nR1;10010\n", "wrong_format",
     "Customer Returns are imported from XML files (the semiramis CustomerReturn format); "
     "this file is not XML."),
])
def test_files_that_are_not_customer_returns(app, runner, returns_d1, tmp_path, text, reason,
                                             message):
    out = import_returns(runner, write(tmp_path, text), ok=False)
    assert (out["status"], out["rows"], out["error"]) == (
        "failed", 0, {"reason": reason, "message": message})


def test_a_fault_late_in_the_file_imports_nothing(app, runner, returns_d1, tmp_path):
    """Pass 1 covers the whole file: the returns before the fault are not imported."""
    text = doc(*[MINIMAL + detail()] * 50).replace("</semiramis>", "<broken></semiramis>")
    out = import_returns(runner, write(tmp_path, text), ok=False)
    assert out["error"]["reason"] == "not_well_formed"
    assert "line 53, column" in out["error"]["message"]
    assert stored_returns(app) == {}


def test_the_reader_streams_one_return_at_a_time(tmp_path):
    path = write(tmp_path, doc(*[MINIMAL + f"<number>R{n}</number>" for n in range(3)]))
    returns_file = open_returns(path)
    assert returns_file.count == 3
    positions = []
    for position, node in returns_file.returns():
        positions.append((position, [c.text for c in node.children if c.name == "number"]))
    assert positions == [(1, ["R0"]), (2, ["R1"]), (3, ["R2"])]


def test_the_reader_refuses_a_doctype_without_parsing(tmp_path):
    path = write(tmp_path, '<!DOCTYPE x [<!ENTITY a "b">]><x/>')
    with pytest.raises(FileRejected) as caught:
        open_returns(path)
    assert caught.value.code == "doctype_refused"
