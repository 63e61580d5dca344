"""What every OAuth service connector offers, and the faults it reports.

A connector is stateless: the caller keeps the tokens (encrypted, in the database) and
hands them in. Faults are typed so the sync job can react: an expired token is refreshed
and the call retried, a revoked grant disconnects the service, a missing access right is
shown naming the right, a server error fails the run and the retry resumes from the page
that failed.
"""
import abc
import dataclasses
import datetime as dt
import json
import urllib.error
import urllib.parse
import urllib.request


class ConnectorError(Exception):
    """A fault of the service; the message is written for the user."""


class TokenExpired(ConnectorError):
    """The access token is no longer accepted: refresh it and try again."""


class GrantRevoked(ConnectorError):
    """The refresh token (the grant) was refused: the user must connect again."""


class MissingAccessRight(ConnectorError):
    def __init__(self, right, detail=""):
        self.right = right
        message = f"The service account lacks the access right '{right}'."
        if detail:
            message += f" The service said: {detail}"
        super().__init__(message)


class ServiceError(ConnectorError):
    """The service failed (5xx, a broken answer, unreachable)."""


@dataclasses.dataclass
class Tokens:
    access_token: str
    refresh_token: str
    expires_at: dt.datetime
    scope: str = ""


@dataclasses.dataclass
class Branch:
    """A branch / company database of the service account."""
    id: str
    name: str


@dataclasses.dataclass
class BranchSession:
    """What opening a branch gives: where and with which session id to call its data."""
    host: str
    session: str


@dataclasses.dataclass
class Page:
    rows: list
    page: int
    page_count: int

    @property
    def last(self):
        return self.page >= self.page_count


@dataclasses.dataclass(frozen=True)
class Resource:
    """One list the service pages through, and the Muara kind it becomes."""
    kind: str          # the sync record kind: customer, item, ..., sales_order
    path: str          # the service's list endpoint
    right: str         # the access right it needs, as the service's users know it
    scope: str         # the OAuth scope it needs
    fields: str = ""   # the fields to ask for


class Connector(abc.ABC):
    service = ""
    label = ""
    # Groups of resources one sync button pages through, in order.
    MASTER_DATA = ()
    TRANSACTIONS = ()
    # The settings naming the portal's client at the service; without them the service
    # cannot be connected (the browser would reach the service with an empty client).
    CLIENT_SETTINGS = ()

    def missing_settings(self):
        """The client settings the operator has not set, by their names."""
        return [name for name in self.CLIENT_SETTINGS if not self.client_setting(name)]

    def client_setting(self, name):
        return ""

    def resources(self, group):
        return {"master_data": self.MASTER_DATA, "transaction": self.TRANSACTIONS}[group]

    @abc.abstractmethod
    def authorize_url(self, redirect_uri, state):
        ...

    @abc.abstractmethod
    def exchange_code(self, code, redirect_uri):
        """Tokens for an authorization code."""

    @abc.abstractmethod
    def refresh(self, refresh_token):
        """New tokens; GrantRevoked when the service refuses the refresh token."""

    @abc.abstractmethod
    def list_branches(self, access_token):
        ...

    @abc.abstractmethod
    def open_branch(self, access_token, branch_id):
        ...

    @abc.abstractmethod
    def fetch_page(self, access_token, session, resource, page):
        ...


def utcnow():
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


class HttpResponse:
    def __init__(self, status, body):
        self.status = status
        self.body = body

    def json(self):
        try:
            return json.loads(self.body or b"null")
        except ValueError:
            raise ServiceError(f"The service answered HTTP {self.status} with something "
                               "that is not JSON.") from None


def http(method, url, params=None, data=None, headers=None, timeout=30):
    """One HTTP call with the standard library; any status comes back, never raised."""
    if params:
        url += ("&" if "?" in url else "?") + urllib.parse.urlencode(params)
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    if body is not None:
        request.add_header("Content-Type", "application/x-www-form-urlencoded")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return HttpResponse(response.status, response.read())
    except urllib.error.HTTPError as exc:
        return HttpResponse(exc.code, exc.read())
    except (urllib.error.URLError, OSError) as exc:
        raise ServiceError(f"The service could not be reached: {exc}") from None
