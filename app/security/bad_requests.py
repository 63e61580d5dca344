"""Requests the framework would answer with a 500, refused as 4xx before it sees them
(issue 18): non-numeric or oversized paging parameters of list screens, an action name
the screen does not have, and the framework's file-field download route (Muara has no
file fields; it would read a folder that is not configured)."""
import re

from flask import abort, current_app, request

# The framework reads page_<view>=N and psize_<view>=N with int() (re.findall, so the
# name may appear anywhere in the parameter).
PAGING_ARG = re.compile(r"(page|psize)_")
# _oc_<view>=<column>: the framework orders by the text it is given.
ORDER_ARG = re.compile(r"_oc_(.*)")
# _flt_<n>_<column>=...: the framework takes the column's n-th filter without a bound.
FILTER_ARG = re.compile(r"_flt_(\d)_(.*)")


def refuse_bad_requests():
    """A before_request hook."""
    endpoint = request.endpoint or ""
    if request.path.startswith("/api/"):
        return  # the REST API has its own parameters (rison) and answers its own errors
    _check_paging()
    _check_ordering()
    _check_filters(endpoint)
    if endpoint.endswith((".action_post", ".action")):
        _check_action(endpoint)
    elif endpoint.endswith(".download") and "filename" in (request.view_args or {}):
        abort(404)


def _check_paging():
    limit = current_app.config["MAX_PAGE_SIZE"]
    for name, value in request.args.items(multi=True):
        match = PAGING_ARG.search(name)
        if not match:
            continue
        if not value.isdigit():
            abort(400, f"{name} must be a whole number.")
        if match.group(1) == "psize" and not 1 <= int(value) <= limit:
            abort(400, f"The page size must be between 1 and {limit}.")


def _check_ordering():
    for name, value in request.args.items(multi=True):
        match = ORDER_ARG.search(name)
        if not match:
            continue
        view = _view_named(match.group(1))
        if view is not None and value not in (getattr(view, "order_columns", None) or ()):
            abort(400, "The list cannot be ordered by that column.")


def _check_filters(endpoint):
    view = _view_of(endpoint.rsplit(".", 1)[0]) if "." in endpoint else None
    filters = getattr(view, "_filters", None)
    if filters is None:
        return
    for name in request.args:
        match = FILTER_ARG.search(name)
        if not match:
            continue
        # The framework indexes the filters of every column (_all_filters).
        column_filters = filters._all_filters.get(match.group(2), ())
        if int(match.group(1)) >= len(column_filters) and column_filters:
            abort(400, "There is no such filter for that column.")


def _view_named(class_name):
    return next((view for view in current_app.appbuilder.baseviews
                 if view.__class__.__name__ == class_name), None)


def _check_action(endpoint):
    view = _view_of(endpoint.rsplit(".", 1)[0])
    if view is None:
        return
    name = (request.view_args or {}).get("name") if endpoint.endswith(".action") \
        else request.form.get("action")
    if not name or name not in (getattr(view, "actions", None) or {}):
        abort(400, "This screen has no such action.")


def _view_of(blueprint_name):
    for view in current_app.appbuilder.baseviews:
        blueprint = getattr(view, "blueprint", None)
        if blueprint is not None and blueprint.name == blueprint_name:
            return view
    return None
