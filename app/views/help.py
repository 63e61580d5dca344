"""The help pages (issues 16 and 17).

The index explains the words the screens use, once: it reads the same tables as the
screens (app.views.wording), so it cannot say other words than they do. Then one page per
task the seeds describe, in the reader's language: its text is a file,
templates/help/<language>/<topic>.html, its pictures are the screenshots the browser
tests take (tests/test_browser_help_screens.py writes static/help/<language>/ and the
manifest there), so they never go stale.

A screen links to the page that explains it with a "?" in its title: a view names its
topic in `help_topic` (one topic for all its pages, or a dict from an exposed method's
name to a topic), and the base template (templates/muara/base.html) draws the link.
"""
from pathlib import Path

from flask import abort, current_app, request, url_for
from flask_appbuilder import expose, has_access
from flask_babel import get_locale, lazy_gettext

from app.views.pages import PageView
from app.views.wording import REASON_WORDS, STATES_IN_ORDER

# The tasks, in the order a distributor meets them; each has a page in every language.
TOPICS = {
    "import-file": lazy_gettext("Import a file"),
    "mapper-templates": lazy_gettext("Write or propose a mapper template"),
    "rejections": lazy_gettext("Review and fix rejections"),
    "sync-all": lazy_gettext("Sync All and the file states"),
    "sync-settings": lazy_gettext("Sync settings and the Synchronization Status panel"),
    "reintegrate-service": lazy_gettext("Re-integrate an accounting service"),
    "customer-returns": lazy_gettext("Import customer returns"),
}
TEXTS = Path(__file__).resolve().parent.parent / "templates" / "help"
PICTURES = Path(__file__).resolve().parent.parent / "static" / "help"


def page_language():
    """The reader's language if the help is written in it, else English."""
    language = str(get_locale() or "en")
    return language if (TEXTS / language).is_dir() else "en"


class HelpView(PageView):
    route_base = "/help"

    @expose("/")
    @expose("/<topic>")
    @has_access
    def index(self, topic=None):
        if topic is not None:
            return self._task(topic)
        states = [(status.label, status.meaning) for status in STATES_IN_ORDER]
        return self.render_template("help.html", states=states, topics=TOPICS,
                                    reasons=sorted(REASON_WORDS.items()))

    def _task(self, topic):
        if topic not in TOPICS:
            abort(404)
        language = page_language()
        return self.render_template("help_topic.html", topic=topic, title=TOPICS[topic],
                                    topics=TOPICS, text=f"help/{language}/{topic}.html",
                                    pictures=f"help/{language}")


def _topic_of(view, method):
    topic = getattr(view, "help_topic", None)
    if isinstance(topic, dict):
        topic = topic.get(method)
    return topic


def help_link():
    """The page title's "?": the help topic of the view answering this request."""
    endpoint = request.endpoint or ""
    if "." not in endpoint:
        return {}
    blueprint, method = endpoint.split(".", 1)
    views = current_app.extensions.get("muara_help_views")
    if views is None:
        appbuilder = current_app.appbuilder
        views = {view.endpoint: view for view in appbuilder.baseviews}
        current_app.extensions["muara_help_views"] = views
    topic = _topic_of(views.get(blueprint), method)
    if topic not in TOPICS:
        return {}
    return {"help_url": url_for("HelpView.index", topic=topic), "help_title": TOPICS[topic]}


def install_help_link(app):
    app.context_processor(help_link)
