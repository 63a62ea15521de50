"""The KSR functions the stub declares (KSR.pyi beside this file), for the stand-ins of KSR
outside Kamailio (bench.route_python's, the unit tests'): they refuse any other name, as
Kamailio would, so a misspelt or removed function fails there too."""
import ast
import os

STUB = os.path.join(os.path.dirname(os.path.abspath(__file__)), "KSR.pyi")


def functions(path: str = STUB) -> dict:
    """Each function's path under KSR and its number of parameters (None: any number):
    {"info": 1, "is_INVITE": 0, "tm.t_relay": 0, "x.modf": None, …}."""
    with open(path) as handle:
        tree = ast.parse(handle.read(), path)
    found = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            found[node.name] = _arity(node)
        elif isinstance(node, ast.ClassDef):
            for member in node.body:
                if isinstance(member, ast.FunctionDef):
                    found[f"{node.name}.{member.name}"] = _arity(member)
    return found


def _arity(node: ast.FunctionDef):
    args = node.args
    return None if args.vararg else len(args.posonlyargs) + len(args.args)
