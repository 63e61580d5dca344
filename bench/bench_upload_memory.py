"""How much the web process grows while it takes a big upload (issue 14: under 100 MB
for a 500 MB file).

Serves the portal as `python run.py` does (a fresh SQLite instance with the demo data,
no embedded worker, so only the upload is measured), signs in as the demo Importer and
sends one file of --mb megabytes through the Data Import form, the request body streamed
from a generator (the client never holds the file either). Prints the server's resident
memory before, its peak (VmHWM) after the upload was stored, the growth, and the time.

    python bench/bench_upload_memory.py --mb 500
"""
import argparse
import http.client
import re
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.live_server import LiveServer  # noqa: E402 - the same server the browser tests use

CHUNK = 1024 * 1024
LINE = b"INV-000000,C001,2025-01-31,100.50,PO-000000,JKT\n"


def memory(pid):
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0]) / 1024
    return fields


class Client:
    def __init__(self, port):
        self.port, self.cookies = port, {}

    def request(self, method, path, body=None, headers=None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=3600)
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name] = rest.split(";", 1)[0]
        return response.status, response.getheader("Location"), response.read().decode()

    def csrf(self, path):
        page = self.request("GET", path)[2]
        return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


def multipart(fields, size_mb):
    boundary = uuid.uuid4().hex
    head = b"".join(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n'
                    f"{v}\r\n".encode() for k, v in fields.items())
    head += (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
             f'filename="big.csv"\r\nContent-Type: text/csv\r\n\r\n').encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    header = b"Invoice #,Customer Code,Invoice Date,Invoice Balance,Customer PO,Location Code\n"
    block = LINE * (CHUNK // len(LINE))
    blocks = size_mb * CHUNK // len(block)
    length = len(head) + len(header) + blocks * len(block) + len(tail)

    def body():
        yield head + header
        for _ in range(blocks):
            yield block
        yield tail
    return f"multipart/form-data; boundary={boundary}", length, body()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=int, default=500)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        server = LiveServer(Path(folder) / "instance",
                            extra_env={"MUARA_EMBEDDED_WORKER": "false",
                                       "MUARA_MAX_UPLOAD_MB": str(args.mb + 10)})
        try:
            client = Client(server.port)
            token = client.csrf("/login/")
            client.request("POST", "/login/", urlencode(
                {"username": "importer", "password": server.password("importer"),
                 "csrf_token": token}), {"Content-Type": "application/x-www-form-urlencoded"})
            token = client.csrf("/data-import/")
            # Start-up (the demo data) peaked higher than the idle server: the peak is
            # reset (clear_refs 5) so it measures the upload alone.
            Path(f"/proc/{server.process.pid}/clear_refs").write_text("5")
            before = memory(server.process.pid)
            kind, length, body = multipart({"csrf_token": token, "module": "open_invoices",
                                            "template": ""}, args.mb)
            started = time.monotonic()
            status, location, text = client.request(
                "POST", "/data-import/upload", body,
                {"Content-Type": kind, "Content-Length": str(length)})
            seconds = time.monotonic() - started
            after = memory(server.process.pid)
        finally:
            server.stop()
    print(f"upload of {length / CHUNK:.0f} MB: HTTP {status} -> {location} in {seconds:.1f} s")
    print(f"web process RSS before {before['VmRSS']:.0f} MB (peak so far "
          f"{before['VmHWM']:.0f} MB), peak after {after['VmHWM']:.0f} MB: "
          f"grew {after['VmHWM'] - before['VmRSS']:.0f} MB (target: under 100 MB)")
    if status != 302:
        print(text[:2000])
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
