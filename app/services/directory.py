"""Organizations, locations, connections, integrations and users: validate, then write.

Shared by the CLI, the views and the demo data, so every path applies the same rules.
Each function that writes owns its transaction (app.services.transaction).
"""
from typing import Optional

from flask import current_app
from flask_appbuilder.security.sqla.models import User
from sqlalchemy import select

from app.errors import MuaraError, NotFound
from app.extensions import db
from app.models import Connection, Integration, Location, Membership, Organization
from app.models.integrations import IntegrationKind
from app.models.organizations import OrgKind
from app.security.passwords import password_problem
from app.security.roles import ROLES
from app.services.transaction import owns_transaction


def get_org(code: str) -> Organization:
    org = db.session.execute(select(Organization).where(Organization.code == code)).scalar()
    if org is None:
        raise NotFound(f"unknown organization: {code}")
    return org


@owns_transaction
def add_org(code: str, name: Optional[str], kind: str,
            multi_location: bool = False) -> Organization:
    code = (code or "").strip()
    if not code:
        raise MuaraError("organization code must not be empty")
    kind = _enum(OrgKind, kind, "organization kind")
    if db.session.execute(select(Organization.id).where(Organization.code == code)).first():
        raise MuaraError(f"duplicate organization code: {code}")
    org = Organization(code=code, name=name or code, kind=kind, multi_location=multi_location)
    db.session.add(org)
    db.session.flush()
    return org


@owns_transaction
def add_location(org_code: str, code: str, name: str) -> Location:
    org = get_org(org_code)
    exists = select(Location.id).where(Location.organization_id == org.id, Location.code == code)
    if db.session.execute(exists).first():
        raise MuaraError(f"duplicate location code {code} in {org.code}")
    location = Location(organization=org, code=code, name=name or code)
    db.session.add(location)
    db.session.flush()
    return location


def check_connection_sides(distributor: Organization, principal: Organization) -> None:
    if distributor.kind != OrgKind.distributor:
        raise MuaraError(f"{distributor.code} is a {distributor.kind}, not a distributor")
    if principal.kind != OrgKind.principal:
        raise MuaraError(f"{principal.code} is a {principal.kind}, not a principal")


@owns_transaction
def connect(distributor_code: str, principal_code: str, active: bool = True) -> Connection:
    """Create the connection, or set the state of the existing one (CON-1)."""
    distributor, principal = get_org(distributor_code), get_org(principal_code)
    check_connection_sides(distributor, principal)
    connection = db.session.execute(select(Connection).where(
        Connection.distributor_id == distributor.id,
        Connection.principal_id == principal.id)).scalar()
    if connection is None:
        connection = Connection(distributor=distributor, principal=principal)
        db.session.add(connection)
    connection.active = active
    db.session.flush()
    return connection


@owns_transaction
def add_integration(org_code: str, name: str, kind: str, active: bool = True) -> Integration:
    org = get_org(org_code)
    kind = _enum(IntegrationKind, kind, "integration kind")
    exists = select(Integration.id).where(Integration.organization_id == org.id,
                                          Integration.name == name)
    if db.session.execute(exists).first():
        raise MuaraError(f"duplicate integration name {name} in {org.code}")
    integration = Integration(organization=org, name=name, kind=kind, active=active)
    db.session.add(integration)
    db.session.flush()
    return integration


@owns_transaction
def add_user(username: str, org_code: str | None, role_name: str, email: str, password: str,
             first_name: str | None = None, last_name: str | None = None) -> User:
    """A login bound to an organization with one role. Admins may have no organization."""
    sm = current_app.appbuilder.sm
    if role_name not in ROLES:
        raise MuaraError(f"unknown role: {role_name} (one of: {', '.join(ROLES)})")
    org = get_org(org_code) if org_code else None
    if org is None and role_name != "Admin":
        raise MuaraError("a user of this role needs an organization (--org)")
    if role_name == "Principal" and org.kind != OrgKind.principal:
        raise MuaraError(f"a Principal user must belong to a principal; {org.code} is a {org.kind}")
    if sm.find_user(username=username):
        raise MuaraError(f"duplicate username: {username}")
    if sm.find_user(email=email):
        raise MuaraError(f"duplicate e-mail: {email}")
    problem = password_problem(password, username)
    if problem:
        raise MuaraError(problem)
    role = sm.find_role(role_name)
    if role is None:
        raise MuaraError(f"role {role_name} is not in the database yet: run `muara init`")
    user = sm.add_user(username=username, first_name=first_name or username,
                       last_name=last_name or (org.code if org else "admin"),
                       email=email, role=role, password=password, commit=False)
    if not user:
        raise MuaraError(f"could not create user {username}")
    if org is not None:
        db.session.add(Membership(user_id=user.id, organization_id=org.id))
        db.session.flush()
    return user


def _enum(enum_cls, value, what):
    try:
        return enum_cls(str(value).lower())
    except ValueError:
        choices = "|".join(m.value for m in enum_cls)
        raise MuaraError(f"unknown {what}: {value} (one of {choices})") from None
