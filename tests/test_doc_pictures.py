"""The worked-example pictures in docs/img/ are what scripts/doc_pictures.py draws now."""

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
IMG_DIR = ROOT / "docs" / "img"


@pytest.fixture(scope="module")
def drawn() -> dict[str, str]:
    spec = importlib.util.spec_from_file_location(
        "doc_pictures", ROOT / "scripts" / "doc_pictures.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.rendered()


def test_regenerating_the_pictures_gives_the_committed_files(drawn):
    committed = {path.name: path.read_text(encoding="utf-8") for path in IMG_DIR.glob("*.svg")}
    assert sorted(committed) == sorted(drawn), "run: .venv/bin/python scripts/doc_pictures.py"
    for name, text in drawn.items():
        assert committed[name] == text, f"{name} is stale: run scripts/doc_pictures.py"


def test_the_pictures_show_the_figures_of_the_worked_examples(drawn):
    assert "959/960 = 99.8958 %" in drawn["april-outage.svg"]
    assert "credit 10 % of 1,000.00 = 100.00 EUR" in drawn["april-outage.svg"]
    assert "2969/2972 = 99.8990 %" in drawn["march-berlin.svg"]
    assert "the month (743h)" in drawn["march-berlin.svg"]
    assert "999/1000 = 99.9000 %" in drawn["exactly-at-target.svg"]
    assert "no credit" in drawn["exactly-at-target.svg"]
    assert "1/1 = 100.0000 %" in drawn["blip.svg"] and ">outage " not in drawn["blip.svg"]
    assert "maintenance (late)" in drawn["maintenance-4-days.svg"]
    assert ">outage 2h<" in drawn["maintenance-4-days.svg"]
    assert "maintenance (qualifying)" in drawn["maintenance-5-days.svg"]
    assert "eligible 718h" in drawn["maintenance-5-days.svg"]
    assert ">outage 45m<" in drawn["quorum.svg"]
    assert ">down 45m, absorbed<" in drawn["redundancy.svg"]
