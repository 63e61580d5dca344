"""Fix rejected rows in the browser (issue 19, IMP-12): the grid of a file's rejected
rows, the check endpoint the grid calls as a person types (the import's own validation),
and "Import the fixed rows" (a child import of the file). For whoever may resolve the
file's rejections: the Supervisor and the Admin of its organization; another
organization's file is a 404."""
from flask import abort, g, jsonify, request, url_for
from flask_appbuilder import BaseView
from flask_babel import gettext, ngettext

from app.errors import MuaraError
from app.i18n.message_words import message_words
from app.models import ImportFile
from app.security.tenancy import current_viewer, may_write_org
from app.services import fixes
from app.views.base import visible_or_404
from app.views.pages import page_action


def fixable_import(pk: int) -> ImportFile:
    """The file if the user may fix its rows; 404 for one of another organization."""
    imp = visible_or_404(ImportFile, pk)
    if not may_write_org(current_viewer(), imp.organization_id):
        abort(404)  # a principal's view of a shared file: not theirs to fix
    return imp


def _sent_rows(imp):
    return fixes.parse_rows(imp, request.get_json(silent=True))


def _refused(exc, status=400):
    return jsonify({"error": str(exc)}), status


def _words(count):
    return ngettext("%(num)s row", "%(num)s rows", count)


def _shown(row):
    """A checked row's JSON with its problems in the user's language."""
    answer = row.as_json()
    answer["problems"] = [{**problem, "message": message_words(problem.get("message"))}
                          for problem in answer["problems"]]
    return answer


class FixRowsView(BaseView):
    help_topic = "rejections"
    route_base = "/fix-rows"
    default_view = "grid"
    # One permission for the grid, its checks and the import: fixing is resolving.
    class_permission_name = "FixRowsView"

    @page_action("/<int:pk>", "fix")
    def grid(self, pk):
        imp = fixable_import(pk)
        problem = None
        try:
            fixes.check_fixable(imp)
        except MuaraError as exc:
            problem = str(exc)
        data = None if problem else fixes.grid_page(imp, request.args.get("page", 1, type=int))
        return self.render_template(
            "fix_rows.html", imp=imp, data=data, problem=problem,
            check_url=url_for("FixRowsView.check", pk=imp.id),
            import_url=url_for("FixRowsView.import_rows", pk=imp.id),
            file_url=url_for("ImportFileView.show", pk=imp.id))

    @page_action("/<int:pk>/check", "fix", methods=["POST"], api=True)
    def check(self, pk):
        """{"rows": [{"row", "values"}]} -> {"rows": [{"row", "valid", "problems"}]}."""
        imp = fixable_import(pk)
        try:
            checked = fixes.check(imp, _sent_rows(imp))
        except MuaraError as exc:
            return _refused(exc)
        return jsonify({"rows": [_shown(row) for row in checked]})

    @page_action("/<int:pk>/import", "fix", methods=["POST"], api=True)
    def import_rows(self, pk):
        """The rows that pass become a child import; the others come back with reasons."""
        imp = fixable_import(pk)
        try:
            outcome = fixes.import_fixed_rows(imp, _sent_rows(imp), user=g.user)
        except MuaraError as exc:
            return _refused(exc)
        child = outcome.child
        if child is None:
            message = ngettext("Nothing was imported: %(num)s row is still wrong.",
                               "Nothing was imported: %(num)s rows are still wrong.",
                               len(outcome.still_wrong))
        else:
            message = gettext("%(rows)s imported as import #%(id)s.",
                              rows=_words(len(outcome.imported)), id=child.id)
            if outcome.still_wrong:
                message += " " + gettext("%(rows)s still wrong: fix the reasons shown and "
                                         "import again.",
                                         rows=_words(len(outcome.still_wrong)))
        return jsonify({
            "message": message, "imported": outcome.imported,
            "left": fixes.family(imp)["to_fix"],
            "child": None if child is None else {
                "id": child.id, "filename": child.filename,
                "url": url_for("ImportFileView.show", pk=child.id)},
            "rows": [_shown(row) for row in outcome.still_wrong]})
