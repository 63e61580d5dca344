"""The portal's state of a login (app.models.AccountState), read and changed in one place."""
from app.extensions import db
from app.models import AccountState


def account_state(user_id, create=False):
    """The user's AccountState; a new (unsaved) one when it has none and `create`."""
    state = db.session.get(AccountState, user_id)
    if state is None and create:
        state = AccountState(user_id=user_id, session_version=1)
        db.session.add(state)
    return state


def session_version(user_id):
    state = account_state(user_id)
    return state.session_version if state else 1
