"""The base of the screens of their own (not a model's list)."""
from flask_appbuilder import BaseView


class PageView(BaseView):
    """A screen whose menu entry opens its `index`."""
    default_view = "index"
