"""The web platform's layers, kept by reading the source (ast, nothing imported):

- the apps are every Django app under casebridge/web except the two below them:
  today `portal` (patients and families) and `console` (coordinators), and the
  review app to come, which is checked the day its directory has an apps.py;
- `cases` is the shared core (models, the access gate, the do_* actions,
  storage, tasks, notifications) and `accounts` the sign-in layer: they stand
  under every app and import none;
- an app imports `cases`, `accounts` and the engine, never another app's
  modules (import, from-import, relative import, importlib.import_module), and
  its templates never load another app's template library nor include or
  extend another app's templates;
- the engine imports neither Django nor the web platform;
- inside each app no modules import each other in a circle, and inside `cases`
  none but one that is meant (imports under `if TYPE_CHECKING:` do not run, so
  they do not count).

The project level (settings, urls, serve, the site's own templates) puts the
apps together and may name them all.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import casebridge

ROOT = Path(casebridge.__file__).parent
WEB = ROOT / "web"
CORE = ("cases", "accounts")  # under the apps: shared core, sign-in layer


def discover_apps(web: Path = WEB) -> list[str]:
    """Every Django app package under casebridge/web (it has an apps.py) that
    is not part of the core."""
    return sorted(p.name for p in web.iterdir() if (p / "apps.py").is_file() and p.name not in CORE)


APPS = discover_apps()


# -- reading imports --------------------------------------------------------------------


@dataclass(frozen=True)
class Import:
    module: str  # the absolute dotted name imported (or possibly imported)
    line: int


def module_name(path: Path, base: Path) -> str:
    """The dotted name of the module at `path`; `base` holds the casebridge package."""
    parts = list(path.relative_to(base).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _nodes(tree: ast.AST) -> Iterator[ast.AST]:
    """Every node, function bodies included (a lazy import is still an
    import), except the body of `if TYPE_CHECKING:` (its else branch runs)."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for other in node.orelse:
                yield other
                yield from _nodes(other)
            continue
        yield node
        yield from _nodes(node)


def imports_of(module: str, source: str, *, is_package: bool = False) -> list[Import]:
    """The modules `module` imports. `from a import b` gives a and a.b (b may
    be a module); relative imports are resolved against the module's package."""
    package = module if is_package else module.rpartition(".")[0]
    found: list[Import] = []
    for node in _nodes(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [Import(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = package.split(".")
                base_parts = base_parts[: len(base_parts) - (node.level - 1)]
                base = ".".join([*base_parts, *([node.module] if node.module else [])])
            else:
                base = node.module or ""
            found.append(Import(base, node.lineno))
            found += [Import(f"{base}.{alias.name}", node.lineno) for alias in node.names]
        elif (
            isinstance(node, ast.Call)
            and (
                (
                    isinstance(node.func, ast.Name)
                    and node.func.id in {"import_module", "__import__"}
                )
                or (isinstance(node.func, ast.Attribute) and node.func.attr == "import_module")
            )
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.append(Import(node.args[0].value, node.lineno))
    return found


def modules_under(package: Path, base: Path) -> Iterator[tuple[str, Path, list[Import]]]:
    for path in sorted(package.rglob("*.py")):
        name = module_name(path, base)
        yield name, path, imports_of(name, path.read_text(), is_package=path.name == "__init__.py")


def _within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def web_package(name: str) -> str | None:
    """The casebridge.web package (portal, cases …) a dotted name belongs to."""
    if not _within(name, "casebridge.web"):
        return None
    parts = name.split(".")
    return parts[2] if len(parts) > 2 else None


def boundary_problems(apps: list[str], web: Path = WEB) -> list[str]:
    """What crosses a boundary, as "file:line: what"; `web` is casebridge/web
    (the engine beside it)."""
    base = web.parent.parent
    problems = []
    for package in [*apps, *CORE]:
        for _name, path, found in modules_under(web / package, base):
            for item in found:
                target = web_package(item.module)
                if target in apps and target != package:
                    problems.append(
                        f"{path.relative_to(base)}:{item.line}: {package} imports {item.module}"
                    )
    for _name, path, found in modules_under(web.parent / "engine", base):
        for item in found:
            if _within(item.module, "django") or _within(item.module, "casebridge.web"):
                problems.append(
                    f"{path.relative_to(base)}:{item.line}: the engine imports {item.module}"
                )
    return problems


# -- templates --------------------------------------------------------------------------

_LOAD = re.compile(r"{%\s*load\s+([^%]+?)\s*%}")
_NAMED = re.compile(r"""{%\s*(?:include|extends)\s+["']([^"']+)["']""")


def template_libraries(web: Path = WEB) -> dict[str, str]:
    """Template library name -> the package whose templatetags define it."""
    return {
        lib.stem: package.name
        for package in web.iterdir()
        for lib in (package / "templatetags").glob("*.py")
        if lib.stem != "__init__"
    }


def template_problems(apps: list[str], web: Path = WEB) -> list[str]:
    libraries = template_libraries(web)
    problems = []
    for app in apps:
        for path in sorted((web / app / "templates").rglob("*.html")):
            text = path.read_text()
            where = path.relative_to(web)
            for match in _LOAD.finditer(text):
                words = match.group(1).split()
                # "{% load a b %}" loads libraries; "{% load x from a %}" loads from the last
                names = words[-1:] if "from" in words else words
                for name in names:
                    owner = libraries.get(name)
                    if owner in apps and owner != app:
                        problems.append(f"{where}: loads {name}, a template library of {owner}")
            for match in _NAMED.finditer(text):
                owner = match.group(1).split("/")[0]
                if owner in apps and owner != app:
                    problems.append(f"{where}: uses {match.group(1)}, a template of {owner}")
    return problems


# -- cycles -----------------------------------------------------------------------------


def import_cycles(package: Path, base: Path = ROOT.parent) -> list[list[str]]:
    """The import cycles among the modules of one package (each found once)."""
    graph: dict[str, set[str]] = {}
    for name, _path, found in modules_under(package, base):
        graph[name] = {item.module for item in found}
    for name in graph:
        graph[name] = {target for target in graph[name] if target in graph and target != name}
    cycles: list[list[str]] = []
    seen: set[frozenset[str]] = set()
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for target in sorted(graph[node]):
            if state.get(target) == 1:
                cycle = path[path.index(target) :]
                if frozenset(cycle) not in seen:
                    seen.add(frozenset(cycle))
                    cycles.append([*cycle, target])
            elif target not in state:
                visit(target, [*path, target])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    return cycles


# -- the platform as it is --------------------------------------------------------------


def test_the_apps_are_every_django_app_beside_the_core():
    assert {"portal", "console"} <= set(APPS)
    assert not set(APPS) & set(CORE)
    assert all((WEB / name / "apps.py").is_file() for name in [*APPS, *CORE])


def test_no_app_imports_another_and_neither_cases_nor_the_engine_imports_an_app():
    assert boundary_problems(APPS) == []


def test_no_app_template_loads_or_includes_another_apps_templates():
    assert template_problems(APPS) == []


# Cycles in cases that are meant: reader.py starts a child process whose entry
# (reader_child.main) it imports only inside that child, and the child takes
# reader's limits and its plain-reason helper. Any other cycle fails.
KNOWN_CYCLES = {
    frozenset({"casebridge.web.cases.reader", "casebridge.web.cases.reader_child"}),
}


def test_no_app_holds_an_import_cycle_and_cases_none_but_the_readers_child():
    for app in APPS:
        assert import_cycles(WEB / app) == [], app
    unexpected = [c for c in import_cycles(WEB / "cases") if frozenset(c) not in KNOWN_CYCLES]
    assert unexpected == []


# -- the checks find what they look for -------------------------------------------------


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_every_form_of_import_is_resolved_to_the_module_it_names():
    module = "casebridge.web.portal.views"
    source = "\n".join(
        [
            "import casebridge.web.console.lib",
            "from casebridge.web.console import actions",
            "from ..console.models import RecordRequest",
            "from . import lib",
            "from .. import console",
            "def later():",
            "    from casebridge.web.console.views import x",
            "    return importlib.import_module('casebridge.web.console.demo')",
            "if TYPE_CHECKING:",
            "    from casebridge.web.console.forms import Form",
            "else:",
            "    from casebridge.web.console.urls import urlpatterns",
        ]
    )
    names = [item.module for item in imports_of(module, source)]
    assert "casebridge.web.console.lib" in names
    assert "casebridge.web.console.actions" in names
    assert "casebridge.web.console.models" in names
    assert "casebridge.web.portal.lib" in names
    assert "casebridge.web.console" in names
    assert "casebridge.web.console.views" in names
    assert "casebridge.web.console.demo" in names
    assert "casebridge.web.console.urls" in names  # the else branch runs
    assert "casebridge.web.console.forms" not in names  # only for the type checker


def test_a_relative_import_in_a_package_init_resolves_against_the_package_itself():
    names = [
        i.module for i in imports_of("casebridge.web.review", "from . import lib", is_package=True)
    ]
    assert names == ["casebridge.web.review", "casebridge.web.review.lib"]


def test_an_app_reaching_into_another_and_the_core_reaching_up_are_reported(tmp_path):
    web = _write(
        tmp_path / "casebridge" / "web",
        {
            "portal/apps.py": "",
            "portal/lib.py": "from ..console.models import RecordRequest\n",
            "portal/views.py": "from casebridge.web.portal import lib\n",
            "console/apps.py": "",
            "console/actions.py": "from casebridge.web.cases.models import Case\n",
            "review/apps.py": "",
            "review/views.py": "import casebridge.web.portal.lib\n",
            "cases/apps.py": "",
            "cases/tasks.py": "from casebridge.web.console import demo\n",
            "accounts/apps.py": "",
            "accounts/models.py": "from casebridge.web.cases import models\n",
        },
    )
    _write(web.parent / "engine", {"pipeline.py": "import os\nfrom django.conf import settings\n"})
    apps = discover_apps(web)
    assert apps == ["console", "portal", "review"]
    assert boundary_problems(apps, web) == [
        "casebridge/web/portal/lib.py:1: portal imports casebridge.web.console.models",
        "casebridge/web/portal/lib.py:1: portal imports "
        "casebridge.web.console.models.RecordRequest",
        "casebridge/web/review/views.py:1: review imports casebridge.web.portal.lib",
        "casebridge/web/cases/tasks.py:1: cases imports casebridge.web.console",
        "casebridge/web/cases/tasks.py:1: cases imports casebridge.web.console.demo",
        "casebridge/engine/pipeline.py:2: the engine imports django.conf",
        "casebridge/engine/pipeline.py:2: the engine imports django.conf.settings",
    ]


def test_a_template_loading_or_including_another_apps_templates_is_reported(tmp_path):
    web = _write(
        tmp_path,
        {
            "portal/templatetags/portal_tags.py": "",
            "cases/templatetags/dates.py": "",
            "console/templates/console/a.html": "{% load dates portal_tags %}",
            "console/templates/console/b.html": '{% include "portal/_list.html" %}',
            "console/templates/console/c.html": "{% load when from dates %}{% extends 'base.html' %}",
            "console/templates/console/d.html": "{% load letter_html from portal_tags %}",
            "portal/templates/portal/e.html": '{% extends "portal/base.html" %}{% load portal_tags %}',
        },
    )
    assert template_problems(["console", "portal"], web) == [
        "console/templates/console/a.html: loads portal_tags, a template library of portal",
        "console/templates/console/b.html: uses portal/_list.html, a template of portal",
        "console/templates/console/d.html: loads portal_tags, a template library of portal",
    ]


def test_a_circle_of_imports_is_found_once_and_a_type_checking_import_is_not_one(tmp_path):
    package = _write(
        tmp_path / "casebridge" / "web" / "portal",
        {
            "__init__.py": "",
            "lib.py": "def f():\n    from casebridge.web.portal.tags import g\n",
            "tags.py": "from casebridge.web.portal.lib import STATUS\n",
            "models.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from . import rows\n",
            "rows.py": "from casebridge.web.portal import models\n",
        },
    )
    assert import_cycles(package, tmp_path) == [
        ["casebridge.web.portal.lib", "casebridge.web.portal.tags", "casebridge.web.portal.lib"]
    ]
