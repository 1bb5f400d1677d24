"""The layers' import directions, checked on the source: CLI and web over the library facade,
the facade over workflow and search, those over the indexes and the corpus files, those over
the store, and everything over the small shared vocabulary at the package root."""

import ast
import re
from pathlib import Path

import kmsearch

PACKAGE = Path(kmsearch.__file__).parent
ROOT_VOCABULARY = {"records", "errors", "access", "config", "taxonomy", "filters", "documents",
                   "languages", "limits", "partners", "resources"}
# Each layer may import its own modules and those of the layers below it, never above or beside.
LAYERS = [
    {"root"},
    {"store"},
    {"files", "index"},
    {"workflow", "search"},
    {"library"},
    {"web"},
    {"cli"},  # `kmsearch serve` starts the web application
]
NOT_FROM_STORE = {"web", "cli"}  # the front ends reach the store only through the library


def layer_of(module: str) -> str:
    """``kmsearch.index.keyword`` -> ``index``; root modules are ``root``."""
    parts = module.split(".")
    if len(parts) == 1:
        return "package"
    name = parts[1]
    if name in ROOT_VOCABULARY:
        return "root"
    if (PACKAGE / name).is_dir() or (PACKAGE / f"{name}.py").exists():
        return name
    return "package"  # a name defined in kmsearch/__init__.py, such as __version__


def rank(layer: str) -> int:
    return next(i for i, layers in enumerate(LAYERS) if layer in layers)


def module_name(path: Path) -> str:
    relative = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(relative.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path) -> list[str]:
    """Every kmsearch module ``path`` imports, relative imports resolved, lazy ones included."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.append(target)
            found += [f"{target}.{alias.name}" for alias in node.names]
    return [m for m in found if m == "kmsearch" or m.startswith("kmsearch.")]


def modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_every_module_is_in_a_known_layer():
    unknown = {module_name(p) for p in modules() if layer_of(module_name(p)) not in
               {layer for layers in LAYERS for layer in layers} | {"package"}}
    assert unknown == set()


def test_imports_run_down_the_layers_only():
    wrong = []
    for path in modules():
        source = layer_of(module_name(path))
        if source == "package":
            continue
        for target in imports_of(path):
            into = layer_of(target) if target.count(".") else "package"
            if into in ("package", source):
                continue
            if rank(into) >= rank(source):
                wrong.append(f"{module_name(path)} imports {target}")
    assert wrong == []


def test_no_view_or_command_imports_the_store_or_reaches_into_it():
    wrong = []
    for path in modules():
        name = module_name(path)
        if layer_of(name) not in NOT_FROM_STORE:
            continue
        wrong += [f"{name} imports {t}" for t in imports_of(path) if layer_of(t) == "store"]
        text = path.read_text(encoding="utf-8")
        wrong += [f"{name} uses .store" for _ in re.finditer(r"\.store\b", text)]
        wrong += [f"{name} reads app.extensions outside web/context.py"
                  for _ in re.finditer(r"extensions\[\"kmsearch\"\]", text)
                  if path.name not in ("context.py", "__init__.py")]
    assert wrong == []


def test_the_checker_sees_relative_and_lazy_imports():
    found = imports_of(PACKAGE / "cli" / "searching.py")
    assert "kmsearch.cli.common" in found and "kmsearch.web.create_app" in found
    assert "kmsearch.library" in imports_of(PACKAGE / "cli" / "common.py")
    assert layer_of("kmsearch.store.cases") == "store" and layer_of("kmsearch.filters") == "root"
