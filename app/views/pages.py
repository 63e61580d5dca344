"""The base of the screens of their own (not a model's list)."""
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.security.decorators import has_access_api, permission_name


class PageView(BaseView):
    """A screen whose menu entry opens its `index`."""
    default_view = "index"


def page_action(url: str, permission: str, methods=None, api: bool = False):
    """A screen's URL with the permission that opens it ("can_<permission>" on the view):
    the framework's expose, has_access (has_access_api for JSON, answering 401 instead of
    a redirect to the login page) and permission_name, in their order, in one line."""
    def decorate(function):
        checked = (has_access_api if api else has_access)(permission_name(permission)(function))
        return expose(url, methods=methods or ["GET"])(checked)
    return decorate
