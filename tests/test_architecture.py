"""The house rules of ARCHITECTURE.md, derived from the code itself.

The import graph is read from every module's source (top-level and function-level imports alike):
- among the packages' core modules (everything but the composition layer: views, demo data, the app and the CLI)
  there is no package cycle;
- no core module imports the composition layer, and none but the shared web layer imports Starlette;
- the shared web layer imports no domain package; runtime, terms and crypto are leaves;
- no module in hub/ is much over 400 lines.
"""

from __future__ import annotations

import ast
import textwrap
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MAX_LINES = 420  # "about 400"
DOMAIN_PACKAGES = (
    "accounts",
    "api",
    "audit",
    "calendars",
    "cases",
    "dashboard",
    "documents",
    "messaging",
    "monitoring",
    "notifications",
    "oversight",
)


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def imports_of(path: Path, root: Path, known: set[str]) -> set[str]:
    """Every module of `known` (or third-party top-level name) that the file imports, at any depth."""
    module = module_name(path, root)
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            target = _resolve(module, path.name == "__init__.py", node)
            found.add(target)
            for alias in node.names:  # `from hub.documents import views` imports a module
                if f"{target}.{alias.name}" in known:
                    found.add(f"{target}.{alias.name}")
    return found


def import_graph(root: Path, packages: Iterable[str] = ("hub", "crypto")) -> dict[str, set[str]]:
    files = [p for pkg in packages for p in sorted((root / pkg).rglob("*.py"))]
    known = {module_name(p, root) for p in files}
    return {module_name(p, root): imports_of(p, root, known) for p in files}


def package_of(module: str) -> str:
    """hub.messaging.clocks -> hub.messaging; hub.runtime -> hub.runtime; crypto.stream -> crypto."""
    parts = module.split(".")
    if parts[0] != "hub":
        return parts[0]
    return ".".join(parts[:2])


def is_composition(module: str) -> bool:
    """The layer that wires everything: pages, the API, demo data, the app and the command line."""
    parts = module.split(".")
    if parts[0] != "hub":
        return False
    if len(parts) >= 2 and parts[1] in ("app", "cli", "__main__", "demo", "api", "navigation"):
        return True
    return any(p in ("views", "demo") or p.endswith("_views") for p in parts[2:])


def internal(graph: Mapping[str, set[str]], module: str) -> set[str]:
    return {m for m in graph[module] if m.split(".")[0] in ("hub", "crypto") and m in graph}


def package_cycles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of packages (size > 1) in the core modules' package graph."""
    edges: dict[str, set[str]] = {}
    for module in graph:
        if is_composition(module):
            continue
        src = package_of(module)
        edges.setdefault(src, set())
        for target in internal(graph, module):
            dst = package_of(target)
            if dst != src and not is_composition(target):
                edges[src].add(dst)
                edges.setdefault(dst, set())
    # Tarjan's strongly connected components.
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                cycles.append(sorted(group))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return cycles


def layer_violations(graph: Mapping[str, set[str]]) -> list[str]:
    found = []
    for module, targets in sorted(graph.items()):
        if is_composition(module):
            continue
        for target in sorted(targets):
            if target in graph and is_composition(target):
                found.append(f"{module} imports the composition layer {target}")
            if target.split(".")[0] == "starlette" and package_of(module) != "hub.web":
                found.append(f"{module} imports {target}: only hub.web and the composition layer may")
    return found


def leaf_violations(graph: Mapping[str, set[str]]) -> list[str]:
    allowed = {
        "hub.web": (
            "hub.web",
            "hub.runtime",
            "hub.config",
            "hub.db",
            "hub.keys",
            "hub.fields",
            "hub.errors",
            "hub.terms",
            "hub.resources",
            "hub.origin",
            "crypto",
        ),
        "hub.origin": ("hub.origin",),
        "hub.runtime": ("hub.runtime", "hub.config", "hub.db", "hub.keys", "hub.fields", "crypto"),
        "hub.terms": ("hub.terms",),
        "crypto": ("crypto",),
    }
    found = []
    for module in sorted(graph):
        rule = allowed.get(package_of(module))
        if rule is None:
            continue
        for target in sorted(internal(graph, module)):
            if package_of(target) not in rule:
                found.append(f"{module} imports {target}")
    return found


# -- the rules, on this code ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    return import_graph(ROOT)


def test_no_package_cycle(graph: dict[str, set[str]]) -> None:
    assert package_cycles(graph) == []


def test_services_import_no_views_and_no_starlette(graph: dict[str, set[str]]) -> None:
    assert layer_violations(graph) == []


def test_web_layer_runtime_terms_and_crypto_are_leaves(graph: dict[str, set[str]]) -> None:
    assert leaf_violations(graph) == []


def test_modules_are_small() -> None:
    sizes = {
        str(p.relative_to(ROOT)): len(p.read_text(encoding="utf-8").splitlines()) for p in (ROOT / "hub").rglob("*.py")
    }
    assert {name: n for name, n in sizes.items() if n > MAX_LINES} == {}


# -- the checker itself notices what it must -----------------------------------------------------------------


def _plant(root: Path, files: dict[str, str]) -> dict[str, set[str]]:
    for name, source in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source), encoding="utf-8")
    return import_graph(root, packages=("hub",))


def test_a_planted_cycle_is_found(tmp_path: Path) -> None:
    graph = _plant(
        tmp_path,
        {
            "hub/__init__.py": "",
            "hub/a/__init__.py": "",
            "hub/a/services.py": "from hub.b.services import thing\n",
            "hub/b/__init__.py": "",
            "hub/b/services.py": "def thing():\n    from hub.c import models\n",
            "hub/c/__init__.py": "",
            "hub/c/models.py": "from ..a import services\n",
            "hub/c/views.py": "from hub.a.services import x\n",
        },
    )
    assert package_cycles(graph) == [["hub.a", "hub.b", "hub.c"]]


def test_views_may_import_any_service_without_making_a_cycle(tmp_path: Path) -> None:
    graph = _plant(
        tmp_path,
        {
            "hub/__init__.py": "",
            "hub/a/__init__.py": "",
            "hub/a/services.py": "from hub.b import models\n",
            "hub/a/views.py": "from hub.b.services import y\n",
            "hub/b/__init__.py": "",
            "hub/b/models.py": "",
            "hub/b/services.py": "",
            "hub/b/views.py": "from hub.a.services import x\n",
        },
    )
    assert package_cycles(graph) == []


def test_a_service_importing_a_view_or_starlette_is_found(tmp_path: Path) -> None:
    graph = _plant(
        tmp_path,
        {
            "hub/__init__.py": "",
            "hub/a/__init__.py": "",
            "hub/a/services.py": "import starlette.requests\nfrom hub.a import views\n",
            "hub/a/views.py": "",
        },
    )
    assert layer_violations(graph) == [
        "hub.a.services imports the composition layer hub.a.views",
        "hub.a.services imports starlette.requests: only hub.web and the composition layer may",
    ]


def test_the_web_layer_importing_a_domain_package_is_found(tmp_path: Path) -> None:
    graph = _plant(
        tmp_path,
        {
            "hub/__init__.py": "",
            "hub/web/__init__.py": "",
            "hub/web/guards.py": "from hub.accounts.auth import ActiveSession\n",
            "hub/accounts/__init__.py": "",
            "hub/accounts/auth.py": "",
        },
    )
    assert leaf_violations(graph) == ["hub.web.guards imports hub.accounts.auth"]
