"""The house rules of ARCHITECTURE.md that a machine can check: no import cycle among the
modules of app/, no module over 500 lines, and no module importing from a floor above its
own. Imports are read with ast, function-level ones included (a lazy import is still a
dependency)."""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MAX_LINES = 500

# The floors of ARCHITECTURE.md, bottom up: a module imports from its own floor or below.
# The longest matching prefix decides a module's floor.
# Two departures from the card, each with its reason: module declarations are data that
# the models read (floor 1); the background threads and the scheduler are started by CLI
# commands (`muara worker`, `muara scheduler`) as well as by create_app, so they sit on
# the adapters' floor 4, not 5. The permission matrix is a report over the views.
FLOORS = {
    "config": 1, "app.extensions": 1, "app.errors": 1, "app.models": 1, "app.connectors": 1,
    "app.importing.modules": 1,
    "app.importing": 2, "app.security": 2, "app.queue": 2,
    "app.services": 3, "app.i18n": 3, "app.notifications": 3, "app.demo": 3, "app.setup": 3,
    "app.views": 4, "app.api": 4, "app.cli": 4, "app.jobs": 4, "app.security.matrix": 4,
    "app.background": 4, "app.scheduling": 4,
    "app": 5,
}


def module_name(path):
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def app_modules():
    files = sorted((ROOT / "app").rglob("*.py")) + [ROOT / "config.py"]
    return {module_name(path): path for path in files}


def imported_modules(name, path, known):
    """The modules of `known` that the module imports, at any depth of its code."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            # `from app.jobs import imports` imports the module app.jobs.imports.
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base
                       for alias in node.names]
        else:
            continue
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def import_graph():
    known = app_modules()
    return {name: imported_modules(name, path, known) for name, path in known.items()}


def cycles(graph):
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def floor_of(name):
    candidates = [prefix for prefix in FLOORS if name == prefix or name.startswith(prefix + ".")]
    return FLOORS[max(candidates, key=len)]


def test_no_import_cycle_among_app_modules():
    assert cycles(import_graph()) == []


def test_the_cycle_finder_sees_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_module_in_app_over_500_lines():
    long = {name: n for name, path in app_modules().items()
            if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}


def test_no_module_imports_from_a_floor_above_its_own():
    upward = sorted(f"{name} (floor {floor_of(name)}) imports {target} "
                    f"(floor {floor_of(target)})"
                    for name, targets in import_graph().items() for target in targets
                    if floor_of(target) > floor_of(name))
    assert upward == []


@pytest.mark.parametrize("name, floor", [("app.models.imports", 1), ("app.queue", 2),
                                         ("app.importing.modules", 1),
                                         ("app.importing.pipeline", 2),
                                         ("app.services.imports", 3), ("app", 5)])
def test_floors_are_read_by_longest_prefix(name, floor):
    assert floor_of(name) == floor


# The commit rule (README "Architecture"): services and jobs own their transaction; the
# adapters (views, the REST API, the CLI) never commit.
ADAPTERS = ("app.views", "app.api", "app.cli")


def commit_calls(path):
    """Line numbers of `<anything>.commit()` calls in the module."""
    return [node.lineno for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr == "commit"]


def test_views_api_and_cli_never_commit():
    found = sorted(f"{name}:{line}" for name, path in app_modules().items()
                   if name.startswith(ADAPTERS) for line in commit_calls(path))
    assert found == []


def test_the_commit_finder_sees_a_commit(tmp_path):
    module = tmp_path / "view.py"
    module.write_text("def save(db):\n    db.session.add(1)\n    db.session.commit()\n")
    assert commit_calls(module) == [3]


# Type hints on the public functions of the pipeline and the services (issue 12): every
# parameter but self/cls, and the return, of each public module-level function and each
# public method of a public class.
TYPED = ("app.importing", "app.services")


def unannotated(path):
    """'function: names' of the public functions of the module missing a hint."""
    def missing(function):
        arguments = function.args
        named = arguments.posonlyargs + arguments.args + arguments.kwonlyargs
        found = [a.arg for a in named if a.annotation is None and a.arg not in ("self", "cls")]
        found += [f"*{a.arg}" for a in (arguments.vararg, arguments.kwarg)
                  if a is not None and a.annotation is None]
        if function.returns is None and function.name != "__init__":
            found.append("return")
        return found

    functions = ast.FunctionDef, ast.AsyncFunctionDef
    tree = ast.parse(path.read_text(encoding="utf-8"))
    public = [(node.name, node) for node in tree.body
              if isinstance(node, functions) and not node.name.startswith("_")]
    for owner in tree.body:
        if isinstance(owner, ast.ClassDef) and not owner.name.startswith("_"):
            public += [(f"{owner.name}.{node.name}", node) for node in owner.body
                       if isinstance(node, functions)
                       and (not node.name.startswith("_") or node.name == "__init__")]
    return [f"{name}: {', '.join(names)}" for name, node in public
            if (names := missing(node))]


def test_public_functions_of_the_pipeline_and_the_services_have_type_hints():
    found = {name: gaps for name, path in app_modules().items()
             if name.startswith(TYPED) and (gaps := unannotated(path))}
    assert found == {}


def test_the_hint_finder_sees_a_missing_hint(tmp_path):
    module = tmp_path / "service.py"
    module.write_text("def typed(a: int) -> int:\n    return a\n\n\n"
                      "def untyped(a, *rest: int):\n    return a\n\n\n"
                      "def _private(a):\n    return a\n\n\n"
                      "class Thing:\n    def __init__(self, a):\n        self.a = a\n\n"
                      "    def size(self) -> int:\n        return 1\n")
    assert unannotated(module) == ["untyped: a, return", "Thing.__init__: a"]
