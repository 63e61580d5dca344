"""List actions (the framework's /action_post and /action/<name>/<pk>) that look rows up
through the view's base filters: the framework fetches them by id alone, so a posted id of
another organization's row would reach the action. A row the user may not see, or that
does not exist, is a 404; an action the user may not run, a 403."""
from flask import abort, request
from flask_appbuilder import expose


class ScopedActions:
    """Mixin for a ModelView whose base_filters scope its rows (put it first)."""

    @expose("/action_post", methods=["POST"])
    def action_post(self):
        name = request.form.get("action", "")
        return self._run_scoped(name, request.form.getlist("rowid"))

    @expose("/action/<string:name>/<pk>", methods=["GET", "POST"])
    def action(self, name, pk):
        if request.method == "GET" and not self.is_get_mutation_allowed():
            return super().action(name, pk)  # the framework's refusal of a GET action
        return self._run_scoped(name, [pk], single=True)

    def _run_scoped(self, name, pks, single=False):
        chosen = self.actions.get(name)
        if chosen is None:
            abort(404)
        if not self.appbuilder.sm.has_access(self.get_action_permission_name(name),
                                             self.class_permission_name):
            abort(403)
        items = [self._visible_item(pk) for pk in pks]
        return chosen.func(items[0] if single else items)

    def _visible_item(self, pk):
        if not str(pk).isdigit():
            abort(404)
        item = self.datamodel.get(int(pk), self._base_filters)
        if item is None:
            abort(404)
        return item
