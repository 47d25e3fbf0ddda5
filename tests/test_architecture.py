"""Imports flow one way: lib ← accounts ← billing ← webhooks ← templates_app ← api, dashboard
(docs/decisions.md). api and dashboard both sit on the domain apps; neither imports the other.

`lib/` is plumbing every app may use and it imports no app."""

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = ["lib", "accounts", "billing", "webhooks", "templates_app", "api", "dashboard"]
MAY_IMPORT = {
    "lib": set(),
    "accounts": {"lib"},
    "billing": {"lib", "accounts"},
    "webhooks": {"lib", "accounts", "billing"},
    "templates_app": {"lib", "accounts", "billing", "webhooks"},
    "api": {"lib", "accounts", "billing", "webhooks", "templates_app"},
    "dashboard": {"lib", "accounts", "billing", "webhooks", "templates_app"},
}


def imported_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def source_files(app: str):
    return [p for p in (ROOT / app).rglob("*.py") if "tests" not in p.parts and "migrations" not in p.parts]


@pytest.mark.parametrize("app", APPS)
def test_an_app_imports_only_the_apps_below_it(app):
    for path in source_files(app):
        for module in imported_modules(path):
            top = module.split(".")[0]
            if top in APPS and top != app:
                assert top in MAY_IMPORT[app], f"{path.relative_to(ROOT)} imports {module}"


def test_only_the_rendering_package_imports_cairosvg():
    for app in [*APPS, "imagior", "bench"]:
        for path in source_files(app):
            if "rendering" in path.parts:
                continue
            assert not any(m.split(".")[0] == "cairosvg" for m in imported_modules(path)), path


def test_nothing_runs_cairosvg_unsafe():
    for path in (ROOT / "templates_app" / "rendering").glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.keyword) and node.arg in ("unsafe", "url"):
                pytest.fail(f"{path.name} passes {node.arg}= to a call")


def test_no_test_module_imports_another():
    """Shared test helpers live in conftest files or helper modules (pixels.py, ink.py), not in test modules."""
    for path in ROOT.rglob("test_*.py"):
        if ".venv" in path.parts:
            continue
        for module in imported_modules(path):
            assert not module.split(".")[-1].startswith("test_"), f"{path.relative_to(ROOT)} imports {module}"


CODE_PATH = re.compile(r"(?<![\w./-])((?:[a-z_]+/)+[a-z_0-9]+\.(?:py|md))\b")


# The client and integration packages' own roots (their modules are named from there, as in a wheel).
PACKAGE_SOURCES = [*ROOT.glob("clients/*/src"), *ROOT.glob("integrations/*/src")]


def test_comments_name_only_files_that_exist():
    """A comment, docstring or doc that points at a module or a doc points at one that is there."""
    stale = []
    sources = [*ROOT.rglob("*.py"), *ROOT.glob("docs/*.md"), ROOT / "README.md"]
    for path in sources:
        if {".venv", "migrations", "node_modules"} & set(path.parts):
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            for named in CODE_PATH.findall(line):
                bases = (ROOT, *path.parents, *(ROOT / app for app in APPS), *PACKAGE_SOURCES)
                if not any((base / named).exists() for base in bases):
                    stale.append(f"{path.relative_to(ROOT)}:{number} names {named}")
    assert stale == []


def test_comments_cite_no_document_outside_the_repository():
    """A reader of the code can open what a comment cites: docs/, not notes kept elsewhere."""
    # The names are split so this pattern is not itself a citation.
    outside = re.compile("|".join(["RECI" + "PES", r"STYLE\.md", "SPEC" + " §", r"\.\./" + "shared/"]))
    cited = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in ROOT.rglob("*.py")
        if not {".venv", "node_modules"} & set(path.parts) and path != Path(__file__).resolve()
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if outside.search(line)
    ]
    assert cited == []
