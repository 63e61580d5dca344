"""Which organization each login belongs to (Admin only)."""
from flask_appbuilder import ModelView
from flask_appbuilder.models.sqla.interface import SQLAInterface

from app.models import Membership


class MembershipView(ModelView):
    datamodel = SQLAInterface(Membership)
    list_columns = ["user", "organization"]
    add_columns = edit_columns = show_columns = ["user", "organization"]
    search_columns = ["user", "organization"]
    label_columns = {"user": "User"}
