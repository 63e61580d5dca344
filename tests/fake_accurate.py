"""A local stand-in for Accurate Online, served as a real HTTP server on a free port.

It speaks the documented shapes (oauth/authorize, oauth/token, api/db-list.do,
api/open-db.do, accurate/api/<resource>/list.do and detail.do) and has switches for the
faults a sync must survive: an expired access token, a 500 on a given page, a revoked
grant, a missing access right.
"""
import base64
import secrets
import threading
import uuid
from urllib.parse import urlencode

from flask import Flask, jsonify, redirect, request
from werkzeug.serving import make_server

from tests.live_server import free_port

CLIENT_ID = "muara-test-client"
CLIENT_SECRET = "muara-test-secret"


def sample_data(customers=5, items=3):
    """Rows of every resource, in the fields the connector asks for."""
    return {
        "customer": [{"id": 100 + n, "customerNo": f"C{n:03d}", "name": f"Customer {n}"}
                     for n in range(1, customers + 1)],
        "item": [{"id": 200 + n, "no": f"I{n:03d}", "name": f"Item {n}",
                  "unit1": {"name": "PCS"}} for n in range(1, items + 1)],
        "unit": [{"id": 301, "name": "PCS"}, {"id": 302, "name": "BOX"}],
        "warehouse": [{"id": 401, "name": "Utama", "description": "Gudang Utama"},
                      {"id": 402, "name": "JKT", "description": "Gudang Jakarta"}],
        "tax": [{"id": 501, "taxCode": "PPN", "description": "PPN 11%", "rate": 11}],
        "payment-term": [{"id": 601, "name": "Net 30", "netDays": 30},
                         {"id": 602, "name": "C.O.D", "netDays": 0}],
        "employee": [{"id": 701, "number": "E001", "name": "Budi"}],
        "sales-order": [
            {"id": 801, "number": "SO.2025.01.00001", "transDate": "31/01/2025",
             "customer": {"customerNo": "C001"}, "totalAmount": 150000,
             "statusName": "Menunggu diproses",
             "detailItem": [{"item": {"no": "I001"}, "quantity": 3,
                             "itemUnit": {"name": "PCS"}, "unitPrice": 50000}]},
            {"id": 802, "number": "SO.2025.02.00002", "transDate": "01/02/2025",
             "customer": {"customerNo": "C002"}, "totalAmount": 20000,
             "statusName": "Menunggu diproses",
             "detailItem": [{"item": {"no": "I002"}, "quantity": 1,
                             "itemUnit": {"name": "PCS"}, "unitPrice": 20000}]},
        ],
    }


class FakeAccurate:
    def __init__(self, databases=None, data=None, expires_in=3600):
        self.databases = databases or [{"id": 1156, "alias": "PT Demo Jakarta"}]
        self.data = data or sample_data()
        self.expires_in = expires_in
        self.codes = {}            # code -> redirect_uri
        self.access_tokens = set()
        self.refresh_tokens = set()
        self.sessions = set()
        # Switches.
        self.expire_tokens = False     # every current access token answers 401 once
        self.fail_page = None          # (resource path, page): HTTP 500 there
        self.revoked = False           # the refresh token is refused (invalid_grant)
        self.missing_scope = None      # resource path answered 403 insufficient_scope
        self.missing_right = None      # resource path answered {"s": false, ...access...}
        self.calls = []                # (path, query) of every data call
        self.refreshes = 0
        self.app = self._build()
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = make_server("127.0.0.1", self.port, self.app, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.thread.join(timeout=10)

    def settings(self, page_size=2):
        return {"ACCURATE_CLIENT_ID": CLIENT_ID, "ACCURATE_CLIENT_SECRET": CLIENT_SECRET,
                "ACCURATE_ACCOUNT_URL": self.url, "ACCURATE_PAGE_SIZE": page_size}

    def _issue(self):
        access, refresh = secrets.token_hex(8), secrets.token_hex(8)
        self.access_tokens.add(access)
        self.refresh_tokens.add(refresh)
        return {"access_token": access, "token_type": "bearer", "refresh_token": refresh,
                "expires_in": self.expires_in, "scope": request.form.get("scope", "")}

    def _bearer_ok(self):
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if self.expire_tokens and token in self.access_tokens:
            self.access_tokens.clear()
            self.expire_tokens = False
        return token in self.access_tokens

    def _build(self):
        app = Flask(__name__)
        fake = self

        @app.get("/oauth/authorize")
        def authorize():
            if request.args.get("client_id") != CLIENT_ID:
                return "unknown client", 400
            if request.args.get("response_type") != "code":
                return "unsupported response type", 400
            code = secrets.token_hex(6)
            fake.codes[code] = request.args["redirect_uri"]
            # The user presses "Beri Akses" (give access): approved at once.
            query = urlencode({"code": code, "state": request.args.get("state", "")})
            return redirect(f"{request.args['redirect_uri']}?{query}")

        @app.post("/oauth/token")
        def token():
            expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
            if request.headers.get("Authorization") != f"Basic {expected}":
                return jsonify(error="invalid_client"), 401
            grant = request.form.get("grant_type")
            if grant == "authorization_code":
                code = request.form.get("code")
                if fake.codes.pop(code, None) != request.form.get("redirect_uri"):
                    return jsonify(error="invalid_grant",
                                   error_description="Invalid authorization code"), 400
                return jsonify(fake._issue())
            if grant == "refresh_token":
                refresh = request.form.get("refresh_token")
                if fake.revoked or refresh not in fake.refresh_tokens:
                    return jsonify(error="invalid_grant",
                                   error_description="Invalid refresh token"), 400
                fake.refresh_tokens.discard(refresh)
                fake.refreshes += 1
                return jsonify(fake._issue())
            return jsonify(error="unsupported_grant_type"), 400

        @app.get("/api/db-list.do")
        def db_list():
            if not fake._bearer_ok():
                return jsonify(error="invalid_token", error_description="Access token expired"), 401
            return jsonify(s=True, d=[dict(d, trial=False, expired=False) for d in fake.databases])

        @app.get("/api/open-db.do")
        def open_db():
            if not fake._bearer_ok():
                return jsonify(error="invalid_token", error_description="Access token expired"), 401
            if str(request.args.get("id")) not in {str(d["id"]) for d in fake.databases}:
                return jsonify(s=False, d=["Database tidak ditemukan"])
            session = str(uuid.uuid4())
            fake.sessions.add(session)
            return jsonify(s=True, d=["Proses Berhasil Dilakukan"], session=session,
                           host=fake.url, admin=True)

        @app.get("/accurate/api/<path>/<action>")
        def data(path, action):
            fake.calls.append((path, action, dict(request.args)))
            if not fake._bearer_ok():
                return jsonify(error="invalid_token", error_description="Access token expired"), 401
            if request.headers.get("X-Session-ID") not in fake.sessions:
                return jsonify(s=False, d=["Sesi tidak valid"])
            if path == fake.missing_scope:
                return jsonify(error="insufficient_scope",
                               error_description=f"Insufficient scope for {path}"), 403
            if path == fake.missing_right:
                return jsonify(s=False, d=["Anda tidak memiliki hak akses untuk melakukan "
                                           "proses ini"])
            rows = fake.data.get(path, [])
            if action == "detail.do":
                row = next((r for r in rows if str(r["id"]) == request.args.get("id")), None)
                return jsonify(s=row is not None, d=row or ["Data tidak ditemukan"])
            page = int(request.args.get("sp.page", 1))
            size = int(request.args.get("sp.pageSize", 20))
            if fake.fail_page == (path, page):
                return "Internal Server Error", 500
            count = max(1, -(-len(rows) // size))
            chunk = rows[(page - 1) * size:page * size]
            if path == "sales-order":  # the list gives headers; lines come from detail.do
                chunk = [{k: v for k, v in r.items() if k != "detailItem"} for r in chunk]
            return jsonify(s=True, d=chunk, sp={"page": page, "pageSize": size,
                                                "pageCount": count, "rowCount": len(rows)})

        return app

