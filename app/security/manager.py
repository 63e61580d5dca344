"""The portal's security manager: the framework's, with sign-in protection, the password
policy and sessions that end (issue 18). Each rule lives in its own module; this class
only plugs them into the framework's hooks."""
from flask import current_app, g
from flask_appbuilder.security.sqla.manager import SecurityManager
from flask_login import user_logged_in

from app.errors import MuaraError
from app.security import login_protection
from app.security.passwords import password_problem
from app.security.sessions import (
    end_all_sessions,
    forget_session,
    session_is_current,
    stamp_session,
    token_claims,
    token_is_current,
)
from app.security.views import (
    PortalAuthDBView,
    PortalResetMyPasswordView,
    PortalResetPasswordView,
    PortalSecurityApi,
    PortalUserDBModelView,
)


class PortalSecurityManager(SecurityManager):
    authdbview = PortalAuthDBView
    userdbmodelview = PortalUserDBModelView
    resetmypasswordview = PortalResetMyPasswordView
    resetpasswordview = PortalResetPasswordView
    security_api = PortalSecurityApi

    def create_db(self):
        """The roles, without what the framework's create_db adds around them (issue 17.15):
        - no permission rows for the builtin roles: their permissions are checked against
          the declaration (FAB_ROLES, regular expressions), and rows named after those
          patterns ("^DataImportView$") were written only for security_cleanup to delete
          them again, one commit each;
        - no "No user yet created, use flask fab command" warning: `muara init` and the
          first start create the users (`muara user add`, the demo data) right after.
        The tables come from the migrations, never from here."""
        if not current_app.config.get("FAB_CREATE_DB", True):
            return
        for role_name in (*self.builtin_roles, self.auth_role_admin, self.auth_role_public):
            self.add_role(role_name)

    def create_login_manager(self, app):
        login_manager = super().create_login_manager(app)
        # `app` is the framework's current_app proxy: the signal's sender is the app itself.
        user_logged_in.connect(lambda _app, user: stamp_session(user),
                               app._get_current_object(), weak=False)
        return login_manager

    def create_jwt_manager(self, app):
        jwt_manager = super().create_jwt_manager(app)
        jwt_manager.additional_claims_loader(token_claims)
        jwt_manager.token_verification_loader(self._token_is_current)
        jwt_manager.token_verification_failed_loader(
            lambda _header, _data: ({"message": "The session of this token has ended: "
                                                "sign in again."}, 401))
        return jwt_manager

    def register_views(self):
        super().register_views()
        api_view = next(view for view in self.appbuilder.baseviews
                        if isinstance(view, PortalSecurityApi))
        login_protection.limit_sign_ins(self.limiter,
                                        [self.auth_view.blueprint, api_view.blueprint])

    # -- sign-in -------------------------------------------------------------------
    def auth_user_db(self, username, password):
        """A locked account is refused before its password is looked at."""
        user = self.find_user(username=username) or self.find_user(email=username) \
            if username else None
        if user is not None and user.is_active:
            seconds = login_protection.lock_seconds_left(user)
            if seconds:
                g.sign_in_refusal = login_protection.lockout_message(seconds)
                return None
        return super().auth_user_db(username, password)

    def update_user_auth_stat(self, user, success=True):
        # Before the framework's count and commit, so the lock is saved with it.
        if success:
            login_protection.note_success(user)
        else:
            login_protection.note_failure(user, failures=(user.fail_login_count or 0) + 1)
        super().update_user_auth_stat(user, success)

    # -- sessions ------------------------------------------------------------------
    def load_user(self, pk):
        user = super().load_user(pk)
        if user is not None and not session_is_current(user):
            forget_session()
            return None
        return user

    def load_user_jwt(self, _jwt_header, jwt_data):
        # Tokens are checked by _token_is_current; the session rules are not theirs.
        user = self.get_user_by_id(int(jwt_data["sub"]))
        if user and user.is_active:
            g.user = user
            return user
        return None

    def _token_is_current(self, _jwt_header, jwt_data):
        user = self.get_user_by_id(int(jwt_data["sub"]))
        return bool(user and user.is_active and token_is_current(user, jwt_data))

    # -- passwords -----------------------------------------------------------------
    def reset_password(self, userid, password):
        """Every way a password is set ends in the policy; the user's sessions end."""
        user = self.get_user_by_id(userid)
        problem = password_problem(password, user.username if user else None)
        if problem:
            raise MuaraError(problem)
        end_all_sessions(user.id)
        super().reset_password(userid, password)

    def add_user(self, username, first_name, last_name, email, role, password="", **kwargs):
        if password:
            problem = password_problem(password, username)
            if problem:
                raise MuaraError(problem)
        return super().add_user(username, first_name, last_name, email, role,
                                password=password, **kwargs)

    # -- permission checks ----------------------------------------------------------
    def exist_permission_on_roles(self, view_name, permission_name, role_ids):
        """The framework asks the database once per menu item and button (about 50 queries
        on every page of an Admin, whose role is kept in the database, not declared);
        here the roles' permissions are read once per request and looked up in memory."""
        known = g.setdefault("role_permissions", {})
        key = tuple(sorted(role_ids))
        if key not in known:
            pv, role_link = self.permissionview_model, self.role_model.permissions
            rows = (self.session.query(self.viewmenu_model.name, self.permission_model.name)
                    .select_from(self.role_model).join(role_link)
                    .join(self.permission_model, pv.permission)
                    .join(self.viewmenu_model, pv.view_menu)
                    .filter(self.role_model.id.in_(key)).all())
            known[key] = frozenset(rows)
        return (view_name, permission_name) in known[key]
