"""What every command shares: domain errors as click's one-line error, and the lookup of
an integration by organization and name."""
import functools

import click
from flask.cli import with_appcontext

from app.errors import MuaraError
from app.extensions import db
from app.services import directory


def command_errors(fn):
    """Turn domain errors into click's one-line error and exit code 1, rolling back."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except MuaraError as exc:
            db.session.rollback()
            raise click.ClickException(str(exc)) from None
    return wrapper


def integration_command(fn):
    """The arguments every integration command takes (INTEGRATION --org ORG), run in the
    app context with domain errors as one line."""
    fn = with_appcontext(command_errors(fn))
    fn = click.option("--org", "org_code", required=True)(fn)
    return click.argument("integration_name", metavar="INTEGRATION")(fn)


def integration_of(org_code, name):
    from app.services.apikeys import get_integration
    return get_integration(directory.get_org(org_code), name)
