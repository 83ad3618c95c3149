"""Docs that cannot drift: every import column, allowed value and setting is documented."""

from __future__ import annotations

from pathlib import Path

import pytest

from threadline import vocab
from threadline.ingest.kinds import KINDS
from threadline.workspace.config import WorkspaceConfig

DOCS = Path(__file__).resolve().parents[1] / "docs"


@pytest.fixture(scope="module")
def data_model() -> str:
    return (DOCS / "data-model.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("kind", list(KINDS.values()), ids=list(KINDS))
def test_every_column_of_every_kind_is_documented(kind, data_model):
    section = data_model.split(f"### {kind.name} ")[1].split("\n### ")[0]
    for field in kind.fields:
        assert f"`{field.name}`" in section, f"{kind.name}.{field.name} missing from docs/data-model.md"
        for value in field.values:
            assert f"`{value}`" in section, f"{kind.name}.{field.name} value {value} undocumented"


def test_every_category_has_a_meaning(data_model):
    meanings = data_model.split("## Meanings")[1].split("\n## ")[0]
    for category in vocab.CATEGORIES:
        assert f"`{category}`" in meanings


def test_every_setting_is_documented():
    text = (DOCS / "workspace.md").read_text(encoding="utf-8")
    for name in WorkspaceConfig.__dataclass_fields__:
        assert f"`{name}`" in text


def test_every_mapping_key_is_documented():
    from threadline.ingest.mapping import _KEYS

    text = (DOCS / "importing.md").read_text(encoding="utf-8")
    for key in _KEYS:
        assert f"`{key}`" in text


def test_readme_quick_start_shows_the_two_commands():
    readme = (DOCS.parent / "README.md").read_text(encoding="utf-8")
    quick = readme.split("## Quick start")[1].split("\n## ")[0]
    assert quick.index("make demo") < quick.index("make test")


def test_every_test_named_in_the_learning_rules_table_exists():
    """docs/learning.md names a test beside every role, restriction and security rule; each must exist."""
    import re

    text = (DOCS / "learning.md").read_text(encoding="utf-8")
    tests_dir = DOCS.parent / "tests"
    named = re.findall(r"`(tests/test_\w+\.py)::(test_\w+)`", text)
    assert len(named) > 40
    for path, name in named:
        source = (tests_dir.parent / path).read_text(encoding="utf-8")
        assert re.search(rf"^def {name}\(", source, re.M), f"{path}::{name} named in docs/learning.md does not exist"
    bare = set(re.findall(r"\| `(test_\w+)`", text)) | set(re.findall(r", `(test_\w+)`", text))
    security = (tests_dir / "test_web_security.py").read_text(encoding="utf-8")
    for name in bare:
        assert re.search(rf"^def {name}\(", security, re.M), f"{name} (docs/learning.md) not in test_web_security.py"
