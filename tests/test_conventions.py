"""Project conventions that a reader of the code or a user of the package relies on: icons a browser
without an emoji font can draw, one source of dependency ranges, every imported package declared."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
APP_FILES = [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py")), *sorted((ROOT / "ssnn_app").glob("*.py"))]
EMOJI = re.compile("[\U0001F000-\U0001FAFF\u2600-\u26FF\u23E9-\u23FA\uFE0F]")   # pictographs, not ▶ ✕ ❚


def _icon_arguments(tree: ast.AST):
    """(line, value) of every icon given to Streamlit: icon=..., st.Page(..., icon), setup_page(title, icon)."""
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        for kw in node.keywords:
            if kw.arg in ("icon", "page_icon") and isinstance(kw.value, ast.Constant):
                yield node.lineno, kw.value.value
        name = getattr(node.func, "id", getattr(node.func, "attr", ""))
        if name == "setup_page" and len(node.args) >= 2 and isinstance(node.args[1], ast.Constant):
            yield node.lineno, node.args[1].value


def test_every_icon_is_a_material_symbol_not_an_emoji():
    """Emoji show as empty boxes in a browser without an emoji font; Streamlit's Material set is served
    with the app."""
    found = []
    for path in APP_FILES:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        found += [f"{path.name}:{line}: {value!r}" for line, value in _icon_arguments(tree)
                  if not str(value).startswith(":material/")]
    from ssnn_app.navigation import PAGES
    found += [f"navigation: {p[2]} {p[3]!r}" for p in PAGES if not p[3].startswith(":material/")]
    assert not found, found


def test_no_emoji_in_what_the_dashboard_says():
    from ssnn_app import catalog

    found = [m.id for m in catalog.extract() if EMOJI.search(m.id if isinstance(m.id, str) else m.id[0])]
    assert not found, found


def _requirements(path: Path) -> dict[str, str]:
    out = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            name = re.split(r"[<>=!~\[; ]", line, maxsplit=1)[0]
            out[name.lower().replace("_", "-")] = line.replace(" ", "")
    return out


def _declared() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return {re.split(r"[<>=!~\[; ]", d, maxsplit=1)[0].lower().replace("_", "-"): d.replace(" ", "")
            for d in project["dependencies"]}


def test_requirements_txt_and_pyproject_give_the_same_ranges():
    assert _requirements(ROOT / "requirements.txt") == _declared()


IMPORT_NAMES = {"PIL": "pillow", "streamlit_drawable_canvas": "streamlit-drawable-canvas", "babel": "babel",
                "google": "protobuf"}


def test_every_package_the_code_imports_is_declared():
    stdlib = set(sys.stdlib_module_names)
    ours = {"ssnn_core", "ssnn_app", "bench", "tests"}
    imported: dict[str, str] = {}
    for path in [*APP_FILES, *sorted((ROOT / "ssnn_core").glob("*.py"))]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                     [node.module] if isinstance(node, ast.ImportFrom) and node.module and not node.level else [])
            for name in names:
                top = name.split(".")[0]
                if top not in stdlib and top not in ours:
                    imported.setdefault(top, path.name)
    declared = set(_declared())
    optional = {"keras"}                          # the [keras] extra (README, "Data")
    missing = {IMPORT_NAMES.get(top, top.lower()): where for top, where in imported.items()
               if IMPORT_NAMES.get(top, top.lower()) not in declared | optional}
    assert not missing, f"imported but not declared in pyproject.toml: {missing}"


@pytest.mark.parametrize("name", ["numpy", "streamlit", "plotly", "pillow", "babel"])
def test_runtime_dependencies_have_compatible_ranges(name):
    spec = _declared()[name]
    assert ">=" in spec and "<" in spec.replace("<=", ""), spec


def test_ci_tests_every_python_the_package_claims():
    """The package says which Pythons it runs on; CI runs the tests on each (3.12 is Community Cloud's)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    claimed = sorted(c.rsplit(":: ", 1)[1] for c in project["classifiers"] if "Python :: 3." in c)
    ci = (ROOT / ".ci" / "run").read_text()
    others = re.search(r"for v in ([\d. ]+); do", ci).group(1).split()
    assert claimed == sorted({"3.11", *others}) == ["3.11", "3.12", "3.13"]   # 3.11: the main run
    assert project["requires-python"] == ">=3.11"
    assert "|| true   #" not in ci and "install" in ci
