"""Accurate Online, after its public API documentation (accurate.id/api-integration):

- authorize: GET {account}/oauth/authorize?client_id&response_type=code&redirect_uri
  &scope&state; the user presses "Beri Akses" and comes back with ?code&state;
- token: POST {account}/oauth/token (HTTP Basic client id:secret) with
  grant_type=authorization_code (code, redirect_uri) or grant_type=refresh_token;
  answers access_token, refresh_token, expires_in, scope;
- databases: GET {account}/api/db-list.do -> {"s": true, "d": [{"id", "alias"}]};
- open one: GET {account}/api/open-db.do?id= -> {"s": true, "host", "session"};
- data: GET {host}/accurate/api/<resource>/list.do with headers Authorization: Bearer
  and X-Session-ID, paged by sp.page (from 1) and sp.pageSize; answers
  {"s": true, "d": [rows], "sp": {"page", "pageSize", "pageCount", "rowCount"}};
  detail.do?id= gives one document with its lines. A refusal comes as {"s": false,
  "d": [messages]}, a missing scope as HTTP 403 "insufficient_scope".
"""
import base64
import datetime as dt

from app.connectors.base import (
    Branch,
    BranchSession,
    Connector,
    ConnectorError,
    GrantRevoked,
    MissingAccessRight,
    Page,
    Resource,
    ServiceError,
    TokenExpired,
    Tokens,
    http,
    utcnow,
)

# The access rights seed 003 lists for a branch (non-administrator) account, in its words.
MASTER_DATA = (
    Resource("customer", "customer", "Pelanggan (Customers)", "customer_view",
             "id,customerNo,name"),
    Resource("item", "item", "Barang & Jasa (Items & Services)", "item_view",
             "id,no,name,unit1"),
    Resource("unit", "unit", "Satuan Barang (Units)", "unit_view", "id,name"),
    Resource("warehouse", "warehouse", "Gudang (Warehouses)", "warehouse_view",
             "id,name,description"),
    Resource("tax", "tax", "Pajak (Taxes)", "tax_view", "id,taxCode,description,rate"),
    Resource("payment_term", "payment-term", "Syarat Pembayaran (Payment Terms)",
             "payment_term_view", "id,name,netDays"),
    Resource("employee", "employee", "Karyawan (Employees)", "employee_view",
             "id,number,name"),
)
TRANSACTIONS = (
    Resource("sales_order", "sales-order", "Pesanan Penjualan (Sales Orders)",
             "sales_order_view", "id,number,transDate,customer,totalAmount,statusName"),
)
_BY_KIND = {r.kind: r for r in MASTER_DATA + TRANSACTIONS}
# In seed 003's order.
REQUIRED_RIGHTS = [_BY_KIND[kind].right for kind in (
    "tax", "payment_term", "employee", "customer", "sales_order", "unit", "warehouse", "item")]
DEFAULT_SCOPE = " ".join(r.scope for r in MASTER_DATA + TRANSACTIONS)


class AccurateConnector(Connector):
    service = "accurate"
    label = "Accurate Online"
    MASTER_DATA = MASTER_DATA
    TRANSACTIONS = TRANSACTIONS
    REQUIRED_RIGHTS = REQUIRED_RIGHTS
    CLIENT_SETTINGS = ("ACCURATE_CLIENT_ID", "ACCURATE_CLIENT_SECRET")

    def __init__(self, client_id, client_secret, account_url, scope=DEFAULT_SCOPE,
                 page_size=100, timeout=30):
        self.client_id = client_id or ""
        self.client_secret = client_secret or ""
        self.account_url = account_url.rstrip("/")
        self.scope = scope
        self.page_size = page_size
        self.timeout = timeout

    @classmethod
    def from_settings(cls, settings):
        return cls(settings.get("ACCURATE_CLIENT_ID"), settings.get("ACCURATE_CLIENT_SECRET"),
                   settings.get("ACCURATE_ACCOUNT_URL", "https://account.accurate.id"),
                   settings.get("ACCURATE_SCOPE") or DEFAULT_SCOPE,
                   int(settings.get("ACCURATE_PAGE_SIZE", 100)))

    def client_setting(self, name):
        return {"ACCURATE_CLIENT_ID": self.client_id,
                "ACCURATE_CLIENT_SECRET": self.client_secret}[name]

    # -- OAuth 2 ---------------------------------------------------------------------
    def authorize_url(self, redirect_uri, state):
        from urllib.parse import urlencode
        query = urlencode({"client_id": self.client_id, "response_type": "code",
                           "redirect_uri": redirect_uri, "scope": self.scope, "state": state})
        return f"{self.account_url}/oauth/authorize?{query}"

    def exchange_code(self, code, redirect_uri):
        answer = self._token({"grant_type": "authorization_code", "code": code,
                              "redirect_uri": redirect_uri})
        if answer.status != 200:
            raise ConnectorError("Accurate Online refused the authorization code: "
                                 f"{_oauth_error(answer)}. Press Connect again.")
        return self._tokens(answer.json())

    def refresh(self, refresh_token):
        answer = self._token({"grant_type": "refresh_token", "refresh_token": refresh_token})
        if answer.status in (400, 401):
            raise GrantRevoked("Accurate Online refused to renew the access "
                               f"({_oauth_error(answer)}): the grant was revoked or has "
                               "expired. Connect the service again.")
        if answer.status != 200:
            raise ServiceError(f"Accurate Online failed to renew the token (HTTP {answer.status}).")
        return self._tokens(answer.json())

    def _token(self, data):
        basic = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        return http("POST", f"{self.account_url}/oauth/token", data=data,
                    headers={"Authorization": f"Basic {basic}"}, timeout=self.timeout)

    @staticmethod
    def _tokens(body):
        try:
            expires_in = int(body.get("expires_in") or 0)
            return Tokens(body["access_token"], body.get("refresh_token") or "",
                          utcnow() + dt.timedelta(seconds=expires_in), body.get("scope") or "")
        except (KeyError, TypeError, ValueError, AttributeError):
            raise ServiceError("Accurate Online answered the token request without a "
                               "token.") from None

    # -- branches (company databases) --------------------------------------------------
    def list_branches(self, access_token):
        body = self._data(http("GET", f"{self.account_url}/api/db-list.do",
                               headers=_bearer(access_token), timeout=self.timeout))
        return [Branch(str(d["id"]), d.get("alias") or str(d["id"])) for d in body.get("d") or []]

    def open_branch(self, access_token, branch_id):
        body = self._data(http("GET", f"{self.account_url}/api/open-db.do",
                               params={"id": branch_id}, headers=_bearer(access_token),
                               timeout=self.timeout))
        if not body.get("host") or not body.get("session"):
            raise ServiceError("Accurate Online opened the database without a host or session.")
        return BranchSession(str(body["host"]).rstrip("/"), str(body["session"]))

    # -- data ----------------------------------------------------------------------------
    def fetch_page(self, access_token, session, resource, page):
        params = {"sp.page": page, "sp.pageSize": self.page_size}
        if resource.fields:
            params["fields"] = resource.fields
        body = self._data(self._get(access_token, session, resource, "list.do", params),
                          resource)
        sp = body.get("sp") or {}
        rows = body.get("d") or []
        if resource.kind == "sales_order":
            rows = [row if "detailItem" in row else self.fetch_detail(
                access_token, session, resource, row["id"]) for row in rows]
        return Page(rows, int(sp.get("page") or page), int(sp.get("pageCount") or page))

    def fetch_detail(self, access_token, session, resource, record_id):
        body = self._data(self._get(access_token, session, resource, "detail.do",
                                    {"id": record_id}), resource)
        return body.get("d") or {}

    def _get(self, access_token, session, resource, action, params):
        headers = _bearer(access_token)
        headers["X-Session-ID"] = session.session
        return http("GET", f"{session.host}/accurate/api/{resource.path}/{action}",
                    params=params, headers=headers, timeout=self.timeout)

    @staticmethod
    def _data(answer, resource=None):
        """The body of a data answer, or the typed fault it stands for."""
        if answer.status == 401:
            raise TokenExpired("Accurate Online no longer accepts the access token.")
        if answer.status == 403 and resource is not None:
            raise MissingAccessRight(resource.right, _oauth_error(answer))
        if answer.status >= 500:
            where = f" while reading {resource.kind.replace('_', ' ')}s" if resource else ""
            raise ServiceError(f"Accurate Online failed with HTTP {answer.status}{where}.")
        if answer.status != 200:
            raise ServiceError(f"Accurate Online answered HTTP {answer.status}: "
                               f"{_oauth_error(answer)}")
        body = answer.json()
        if not isinstance(body, dict):
            raise ServiceError("Accurate Online answered with an unexpected document.")
        if body.get("s") is False:
            message = _messages(body.get("d"))
            if resource is not None and _about_access(message):
                raise MissingAccessRight(resource.right, message)
            raise ServiceError(f"Accurate Online refused the request: {message}")
        return body


def _bearer(access_token):
    return {"Authorization": f"Bearer {access_token}"}


def _messages(d):
    if isinstance(d, list):
        return "; ".join(str(m) for m in d)
    return str(d or "no reason given")


def _about_access(message):
    lowered = message.lower()
    return any(word in lowered for word in ("akses", "access", "privilege", "hak "))


def _oauth_error(answer):
    try:
        body = answer.json()
    except ServiceError:
        return f"HTTP {answer.status}"
    if isinstance(body, dict):
        return body.get("error_description") or body.get("error") or _messages(body.get("d"))
    return f"HTTP {answer.status}"
