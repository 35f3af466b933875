"""The permission table is the whole truth: every action it lists is enforced somewhere, every action enforced is
listed, views decide nothing, and no module but service/domain/access.py compares roles (read from the source)."""

from __future__ import annotations

import ast
from pathlib import Path

from service.domain import access, complaint_flow, findings, visits
from service.web import navigation

SERVICE = Path(__file__).resolve().parents[2] / "service"
ACCESS = SERVICE / "domain" / "access.py"
CHECKS = {"require", "can"}  # access.require(principal, "action") and access.can(principal, "action")
# The only places an action name may come from a table rather than a literal: the table's values are the actions.
DYNAMIC = {
    ("domain/findings.py", "move.permission"): lambda: {m.permission for m in findings.TRANSITIONS.values()},
    ("domain/complaint_flow.py", "move.permission"): lambda: {
        m.permission for m in complaint_flow.TRANSITIONS.values()
    },
    ("domain/visits.py", "PERMISSION_OF_ACTION[action]"): lambda: set(visits.PERMISSION_OF_ACTION.values()),
    ("web/navigation.py", "page.permission"): lambda: {page.permission for page in navigation.PAGES},
}
# What views may take from access: who the caller is, and the role names a user form offers. Nothing that decides.
VIEW_NAMES = {"Principal", "NOBODY", "ROLES"}
ROLE_NAMES = {"ADMIN", "BUPATI_OFFICE", "CAMAT", "KEPALA_DESA", "OPD_OFFICER", "COORDINATOR", "RESIDENT", "ANONYMOUS"}
# Comparisons of a user's role that decide nothing about a caller: administering the role itself (checking,
# changing, filtering users by it) and choosing the recipients of a notice.
ROLE_RECORDS = {
    ("domain/users.py", "_scope"),
    ("domain/users.py", "users_query"),
    ("domain/users.py", "update_user"),
    ("domain/notifications.py", "active_users"),
}


def modules():
    for path in sorted(SERVICE.rglob("*.py")):
        yield path.relative_to(SERVICE).as_posix(), ast.parse(path.read_text(), str(path))


def is_check(node: ast.AST) -> bool:
    """`access.require(...)`/`access.can(...)`: the one way to ask (a bare imported `require` is refused below)."""
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in CHECKS
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "access"
    )


def enforced_actions() -> tuple[set[str], list[str]]:
    actions, problems = set(), []
    for name, tree in modules():
        if SERVICE / name == ACCESS:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == "service.domain.access":
                problems += [f"{name}: imports {a.name} from access" for a in node.names if a.name in CHECKS]
            if not is_check(node):
                continue
            action = node.args[1] if len(node.args) > 1 else None
            if isinstance(action, ast.Constant) and isinstance(action.value, str):
                actions.add(action.value)
            elif action is not None and (name, ast.unparse(action)) in DYNAMIC:
                actions |= DYNAMIC[(name, ast.unparse(action))]()
            else:
                problems.append(f"{name}:{node.lineno}: an action that is neither a literal nor a known table")
    return actions, problems


def test_the_table_lists_exactly_the_actions_enforced():
    actions, problems = enforced_actions()
    assert problems == []
    assert sorted(actions - set(access.PERMISSIONS)) == [], "enforced but not in the table"
    assert sorted(set(access.PERMISSIONS) - actions) == [], "in the table but never enforced"


def test_the_scan_sees_every_kind_of_check():
    """The scan finds what it looks for (a literal, a table) and refuses a computed name."""
    sample = ast.parse('access.require(p, "a.b")\naccess.can(p, move.permission)\naccess.require(p, f"x.{y}")')
    calls = [node for node in ast.walk(sample) if is_check(node)]
    assert [ast.unparse(c.args[1]) for c in calls] == ["'a.b'", "move.permission", "f'x.{y}'"]
    assert ("domain/findings.py", "move.permission") in DYNAMIC


def test_views_decide_nothing():
    """service/api asks the domain, which decides: no access.require/can/covers/... there."""
    used = {
        f"{name}:{node.lineno} access.{node.attr}"
        for name, tree in modules()
        if name.startswith("api/")
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == "access"
        and node.attr not in VIEW_NAMES
    }
    assert used == set()


def _compares_roles(node: ast.Compare) -> bool:
    for operand in [node.left, *node.comparators]:
        for part in ast.walk(operand):
            if isinstance(part, ast.Attribute) and (part.attr == "role" or part.attr in ROLE_NAMES):
                return True
            if isinstance(part, ast.Name) and (part.id in ROLE_NAMES or part.id == "role"):
                return True
    return False


def role_comparisons() -> list[str]:
    found = []

    def visit(name: str, node: ast.AST, where: str) -> None:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            where = node.name
        if isinstance(node, ast.Compare) and _compares_roles(node) and (name, where) not in ROLE_RECORDS:
            found.append(f"{name}:{node.lineno} in {where}: {ast.unparse(node)}")
        for child in ast.iter_child_nodes(node):
            visit(name, child, where)

    for name, tree in modules():
        if SERVICE / name != ACCESS and not name.startswith("models/"):
            visit(name, tree, "<module>")
    return found


def test_no_module_but_access_compares_roles():
    """Adding a role means editing access.py (and the texts): elsewhere a rule is a permission or a predicate."""
    assert role_comparisons() == []


def test_the_role_scan_would_see_a_comparison():
    tree = ast.parse('principal.role == "camat"\nrole in ("x",)\nkind == access.CAMAT\nkind in {RESIDENT}\na == b')
    assert [_compares_roles(n) for n in ast.walk(tree) if isinstance(n, ast.Compare)] == [True, True, True, True, False]
