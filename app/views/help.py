"""The help page: the words the screens use, explained once (issue 17). It reads the same
tables as the screens (app.views.wording), so it cannot say other words than they do."""
from flask_appbuilder import expose, has_access

from app.views.pages import PageView
from app.views.wording import REASON_WORDS, STATES_IN_ORDER


class HelpView(PageView):
    route_base = "/help"

    @expose("/")
    @has_access
    def index(self):
        states = [(status.label, status.meaning) for status in STATES_IN_ORDER]
        return self.render_template("help.html", states=states,
                                    reasons=sorted(REASON_WORDS.items()))
