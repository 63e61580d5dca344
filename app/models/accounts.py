"""What the portal keeps about a login beyond the framework's ab_user row: its session
version (bumped to end every session of the user at once), its lockout after repeated
failed sign-ins and the language it chose. The failure count itself is the framework's
ab_user.fail_login_count."""
from flask_appbuilder import Model
from sqlalchemy import Column, DateTime, ForeignKey, Integer, String


class AccountState(Model):
    __tablename__ = "account_state"

    user_id = Column(Integer, ForeignKey("ab_user.id", ondelete="CASCADE"), primary_key=True)
    # Stored in the session at sign-in; a session holding an older number is refused.
    session_version = Column(Integer, nullable=False, default=1)
    # Sign-ins are refused until then (UTC); None = not locked.
    locked_until = Column(DateTime)
    # The language the user chose with the switch; None = their organization's.
    language = Column(String(8))
