"""The framework's account views, with the portal's rules: the lockout message at
sign-in, logout by POST only, the password policy on every password form, the current
password asked before changing one's own, and an Admin's Unlock on the Users screen.

Each keeps the framework's class name for its permissions (class_permission_name), so
roles and docs/permissions.md read as before.
"""
from flask import current_app, flash, g, redirect, request
from flask_appbuilder.actions import action
from flask_appbuilder.fieldwidgets import BS3PasswordFieldWidget
from flask_appbuilder.forms import DynamicForm
from flask_appbuilder.security.api import SecurityApi
from flask_appbuilder.security.views import (
    AuthDBView,
    ResetMyPasswordView,
    ResetPasswordView,
    UserDBModelView,
)
from flask_appbuilder.utils.base import get_safe_redirect
from flask_appbuilder.views import expose
from flask_babel import gettext
from flask_login import logout_user
from werkzeug.security import check_password_hash
from wtforms import PasswordField
from wtforms.validators import DataRequired, EqualTo, ValidationError

from app.errors import MuaraError
from app.extensions import db
from app.models import Membership
from app.security import login_protection
from app.security.filters import GROUPS_VIEWER_MAY_GIVE, ROLES_VIEWER_MAY_GIVE, USERS_OF_VIEWER
from app.security.passwords import PasswordPolicy
from app.security.scoped_actions import ScopedActions
from app.security.sessions import end_all_sessions, forget_session, stamp_session
from app.security.tenancy import assignable_role_names, current_viewer


def _refusal():
    """The lockout message auth_user_db left for this request, if any."""
    return g.pop("sign_in_refusal", None)


class PortalAuthDBView(AuthDBView):
    class_permission_name = "AuthDBView"
    previous_class_permission_name = "AuthDBView"  # nothing to converge from
    logout_template = "logout_confirm.html"

    @expose("/login/", methods=["GET", "POST"])
    def login(self):
        response = super().login()
        refusal = _refusal()
        if refusal:
            # The framework flashed "Invalid login"; the lockout says more.
            flash(refusal, "danger")
        return response

    @expose("/logout/", methods=["GET", "POST"])
    def logout(self):
        """GET asks (a link or an image must not sign anyone out); POST (with the CSRF
        token) ends every session of the user, server-side."""
        user = self._get_authenticated_user()
        if request.method == "GET":
            if user is None:
                return redirect(self.appbuilder.get_url_for_index)
            return self.render_template(self.logout_template, appbuilder=self.appbuilder)
        if user is not None:
            end_all_sessions(user.id)
            db.session.commit()
        logout_user()
        forget_session()
        if user is not None:
            self.appbuilder.sm.on_user_logout(user)
        return redirect(self.appbuilder.get_url_for_login)


def _current_password_matches(form, field):
    if not check_password_hash(g.user.password or "", field.data or ""):
        raise ValidationError("This is not your current password.")


def _new_password_fields(label, confirm_label, user_name, whose):
    """A new password under the password policy (against the user name that `user_name`
    gives for the form) and its confirmation."""
    password = PasswordField(
        label, validators=[DataRequired(), PasswordPolicy(user_name)],
        description=f"At least 12 characters; not {whose} user name; not a common password.",
        widget=BS3PasswordFieldWidget())
    conf_password = PasswordField(
        confirm_label, validators=[EqualTo("password", message="Passwords must match")],
        widget=BS3PasswordFieldWidget())
    return password, conf_password


class OwnPasswordForm(DynamicForm):
    current_password = PasswordField(
        "Current password", validators=[DataRequired(), _current_password_matches],
        widget=BS3PasswordFieldWidget())
    password, conf_password = _new_password_fields(
        "New password", "Confirm new password", lambda form: g.user.username, "your")


class PortalResetMyPasswordView(ResetMyPasswordView):
    class_permission_name = "ResetMyPasswordView"
    previous_class_permission_name = "ResetMyPasswordView"  # nothing to converge from
    form = OwnPasswordForm

    def form_post(self, form):
        super().form_post(form)  # sets the password and ends the other sessions
        db.session.commit()
        # ... but this one goes on.
        stamp_session(g.user)


def _user_being_reset(form):
    from flask import current_app
    user = current_app.appbuilder.sm.get_user_by_id(request.args.get("pk"))
    return user.username if user else None


class ResetOtherPasswordForm(DynamicForm):
    password, conf_password = _new_password_fields(
        "Password", "Confirm Password", _user_being_reset, "the")


class PortalResetPasswordView(ResetPasswordView):
    class_permission_name = "ResetPasswordView"
    previous_class_permission_name = "ResetPasswordView"  # nothing to converge from
    form = ResetOtherPasswordForm


class PortalUserDBModelView(ScopedActions, UserDBModelView):
    """The Users screen. The platform Admin sees every login; an Organization Admin only
    its own organization's (not platform Admins), gives only its organization's roles,
    and a login it adds belongs to its organization (issue 17 item 5)."""
    class_permission_name = "UserDBModelView"
    base_filters = USERS_OF_VIEWER  # noqa: RUF012  (the framework's class attributes)
    add_form_query_rel_fields = edit_form_query_rel_fields = {  # noqa: RUF012
        "roles": ROLES_VIEWER_MAY_GIVE, "groups": GROUPS_VIEWER_MAY_GIVE}
    # In words: "Yes"/"No" and role names, not "True" and "[Importer]".
    list_columns = ["first_name", "last_name", "username", "email", "active",  # noqa: RUF012
                    "roles"]
    formatters_columns = {  # noqa: RUF012
        "active": lambda active: "Yes" if active else "No",
        "roles": lambda roles: ", ".join(role.name for role in roles or ()),
        "groups": lambda groups: ", ".join(group.name for group in groups or ()),
    }
    previous_class_permission_name = "UserDBModelView"  # nothing to converge from
    add_form_extra_fields = {  # noqa: RUF012  (the framework's class attribute)
        "password": PasswordField(
            "Password", widget=BS3PasswordFieldWidget(),
            description="At least 12 characters; not the user name; not a common password.",
            validators=[DataRequired(), PasswordPolicy(lambda form: form.username.data)]),
        "conf_password": PasswordField(
            "Confirm Password", widget=BS3PasswordFieldWidget(),
            validators=[DataRequired(), EqualTo("password", message="Passwords must match")]),
    }

    def pre_add(self, item):
        self._check_grants(item)
        super().pre_add(item)
        viewer = current_viewer()
        if not viewer.is_admin:
            db.session.add(Membership(user=item, organization_id=viewer.organization_id))

    def pre_update(self, item):
        self._check_grants(item)
        super().pre_update(item)

    @staticmethod
    def _check_grants(item):
        """A role or group the user may not give is refused with words before anything
        is written. The posted ids are checked too: the framework's multiple choice field
        drops an id outside its choices without a word, so "Importer + Admin" would be
        saved as "Importer" and the user never told."""
        with db.session.no_autoflush:  # the new login is not in the session yet
            names = assignable_role_names(current_viewer())
            if names is None:
                return
            may_give = {str(role.id) for role in current_app.appbuilder.sm.get_all_roles()
                        if role.name in names}
        posted = set(request.form.getlist("roles"))
        if (posted - may_give or request.form.getlist("groups") or item.groups
                or any(role.name not in names for role in item.roles)):
            db.session.rollback()
            raise MuaraError(gettext(
                "Nothing was saved: an Organization Admin may give only the roles %(roles)s. "
                "Admin is given by the platform's Admin.", roles=", ".join(names)))

    @action("unlock", "Unlock", "Let these users sign in again now?", "fa-unlock")
    def unlock(self, users):
        users = users if isinstance(users, list) else [users]
        for user in users:
            login_protection.unlock(user)
        db.session.commit()
        flash(gettext("Unlocked: %(users)s.", users=", ".join(u.username for u in users)), "info")
        return redirect(get_safe_redirect(self.get_redirect()))


class PortalSecurityApi(SecurityApi):
    """/api/v1/security/login answers a locked account with 429 and the reason."""

    @expose("/login", methods=["POST"])
    def login(self):
        response = super().login()
        refusal = _refusal()
        if refusal and response.status_code == 401:
            return self.response(429, message=refusal)
        return response
