"""The project's modules import each other in one direction only.

Built from the source (ast), not by importing it: the packages vpbx/, webui/, media/,
rtpengine/ (dotted names, `vpbx.engine.call_plan`) and Kamailio's KEMI scripts in kemi/,
which import each other as top-level names (`import calls`, `from sip import ...`) and are
named `kemi/<file>` here. The tests fail on
- an import circle (a strongly connected set of modules), printed as a path;
- an import inside a function or method body (a lazy import is how a circle hides);
- a private name (`_name`) of another project module, imported or read as `module._name`.
"""
import ast
import os
from collections import defaultdict

from vpbx import PROJECT_ROOT

PACKAGES = ("vpbx", "webui", "media", "rtpengine")
KEMI = "kemi"



def _module_files() -> dict:
    """Project module name -> its file."""
    modules = {}
    for package in PACKAGES:
        for folder, dirs, files in os.walk(os.path.join(PROJECT_ROOT, package)):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__")
            rel = os.path.relpath(folder, PROJECT_ROOT).replace(os.sep, ".")
            for name in files:
                if name.endswith(".py"):
                    stem = name[:-3]
                    modules[rel if stem == "__init__" else f"{rel}.{stem}"] = \
                        os.path.join(folder, name)
    kemi_dir = os.path.join(PROJECT_ROOT, KEMI)
    for name in os.listdir(kemi_dir):
        if name.endswith(".py"):
            modules[f"{KEMI}/{name[:-3]}"] = os.path.join(kemi_dir, name)
    return modules


def _parse(path: str) -> ast.Module:
    with open(path, encoding="utf-8") as source:
        return ast.parse(source.read(), path)


MODULES = _module_files()
TREES = {module: _parse(path) for module, path in MODULES.items()}


def _is_package(module: str) -> bool:
    return MODULES[module].endswith("__init__.py")


def _project_module(dotted: str, importer: str):
    """The project module a dotted import name means for `importer`, or None (not ours)."""
    if importer.startswith(KEMI + "/"):
        first = dotted.split(".")[0]
        if f"{KEMI}/{first}" in MODULES:
            return f"{KEMI}/{first}"
    return dotted if dotted in MODULES else None


def _absolute(node: ast.ImportFrom, importer: str) -> str:
    """The absolute module name of `from <module> import ...` (relative ones resolved)."""
    if not node.level:
        return node.module
    parts = importer.split(".")
    base = parts if _is_package(importer) else parts[:-1]
    base = base[:len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _is_private(name: str) -> bool:
    """`_name`, not `__dunder__` nor gettext's `_`."""
    return name.startswith("_") and not name.startswith("__") and name != "_"


class _Imports(ast.NodeVisitor):
    """One module's imports: what it depends on, imports in function bodies, private names."""

    def __init__(self, module: str):
        self.module = module
        self.depends = set()
        self.in_functions = []      # (line, text)
        self.private = []           # (line, text)
        self.aliases = {}           # local name -> project module it is bound to
        self._depth = 0

    def _function(self, node):
        self._depth += 1
        self.generic_visit(node)
        self._depth -= 1

    visit_FunctionDef = visit_AsyncFunctionDef = visit_Lambda = _function

    def _depend(self, target, node):
        if target and target != self.module:
            self.depends.add(target)
        found = (node.lineno, ast.unparse(node))
        if self._depth and found not in self.in_functions:
            self.in_functions.append(found)

    def _private(self, node):
        found = (node.lineno, ast.unparse(node))
        if found not in self.private:
            self.private.append(found)

    def visit_Import(self, node):
        for alias in node.names:
            target = _project_module(alias.name, self.module)
            self._depend(target, node)
            if not target:
                continue
            if alias.asname:
                self.aliases[alias.asname] = target
            elif self.module.startswith(KEMI + "/"):
                self.aliases[alias.name] = target
            if any(_is_private(part) for part in alias.name.split(".")[1:]):
                self._private(node)

    def visit_ImportFrom(self, node):
        source = _absolute(node, self.module)
        source_module = _project_module(source, self.module)
        for alias in node.names:
            submodule = f"{source}.{alias.name}" if f"{source}.{alias.name}" in MODULES \
                else None
            target = submodule or source_module
            self._depend(target, node)
            if submodule:
                self.aliases[alias.asname or alias.name] = submodule
            if target and target != self.module and _is_private(alias.name):
                self._private(node)

    def visit_Attribute(self, node):
        chain, value = [node.attr], node.value
        while isinstance(value, ast.Attribute):
            chain.append(value.attr)
            value = value.value
        if isinstance(value, ast.Name):
            chain.append(value.id)
            chain.reverse()     # e.g. ["writer", "_sync"] or ["vpbx", "storage", "x", "_y"]
            for i in range(len(chain) - 1, 0, -1):
                head = self.aliases.get(chain[0]) if i == 1 else \
                    _project_module(".".join(chain[:i]), self.module)
                if head and head != self.module:
                    if _is_private(chain[i]):
                        self._private(node)
                    break
        self.generic_visit(node)


def _scan() -> dict:
    scans = {}
    for module, tree in TREES.items():
        scan = _Imports(module)
        scan.visit(tree)
        scans[module] = scan
    return scans


SCANS = _scan()


def _graph() -> dict:
    """module -> the project modules it imports (importing a.b.c also runs a and a.b)."""
    graph = defaultdict(set)
    for module, scan in SCANS.items():
        for target in scan.depends:
            graph[module].add(target)
            parts = target.split(".")
            for i in range(1, len(parts)):
                parent = ".".join(parts[:i])
                if parent in MODULES and parent != module \
                        and not module.startswith(parent + "."):
                    graph[module].add(parent)
    return graph


def _circles(graph: dict) -> list:
    """The strongly connected sets of two modules or more (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            members = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                members.add(member)
                if member == node:
                    break
            if len(members) > 1:
                found.append(members)

    for node in sorted(MODULES):
        if node not in index:
            visit(node)
    return found


def _one_cycle(graph: dict, members: set) -> list:
    """A path through `members` that returns to its start, to show what to cut."""
    start = min(members)
    paths = {start: [start]}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for nxt in sorted(graph[node] & members):
            if nxt == start:
                return paths[node] + [start]
            if nxt not in paths:
                paths[nxt] = paths[node] + [nxt]
                queue.append(nxt)
    return sorted(members)


def test_the_graph_sees_the_project_imports():
    """The scan itself works: known edges of each kind are found."""
    graph = _graph()
    assert "vpbx.provisioning.writer" in graph["vpbx.provisioning.write"]
    assert "kemi/sip" in graph["kemi/new_calls"]            # kemi's top-level `import sip`
    assert "webui.dbconn" in graph["webui.api"]          # a relative `from . import dbconn`
    assert "vpbx" in graph["vpbx.storage.migrations"]    # `from vpbx import PROJECT_ROOT`
    assert "webui.errors" in graph["webui.security"]     # `from .errors import ...`


def test_no_import_circles():
    graph = _graph()
    circles = _circles(graph)
    assert not circles, "import circles:\n" + "\n".join(
        "  " + " -> ".join(_one_cycle(graph, members)) for members in circles)


def test_no_import_in_a_function_body():
    found = [f"{os.path.relpath(MODULES[m], PROJECT_ROOT)}:{line}: {text}"
             for m, scan in sorted(SCANS.items()) for line, text in scan.in_functions]
    assert not found, "imports inside functions:\n  " + "\n  ".join(found)


def test_no_private_name_of_another_module():
    found = [f"{os.path.relpath(MODULES[m], PROJECT_ROOT)}:{line}: {text}"
             for m, scan in sorted(SCANS.items()) for line, text in scan.private]
    assert not found, "private names used outside their module:\n  " + "\n  ".join(found)
