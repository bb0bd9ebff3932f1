"""The Python code in the README and in the tutorials runs as written, and prints what
the page says it prints."""

import contextlib
import io
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
TUTORIALS = ["docs/tutorials/billing.md", "docs/tutorials/operator.md"]
# A Python block, and the output the page shows for it: a text block after "prints".
BLOCK = re.compile(r"```python\n(.*?)```\n(?:\nprints\n\n```text\n(.*?)```)?", flags=re.DOTALL)


def run_blocks(path: Path) -> str:
    """Run every ```python block of ``path`` in order, in one namespace, as one page reads;
    check each shown output; return everything printed."""
    blocks = BLOCK.findall(path.read_text(encoding="utf-8"))
    assert blocks, f"{path.name} has no Python example"
    namespace = {"__name__": path.stem}
    printed = []
    for code, shown in blocks:
        with contextlib.redirect_stdout(io.StringIO()) as out:
            exec(compile(code, str(path), "exec"), namespace)
        if shown:
            assert out.getvalue() == shown, f"{path.name} shows other output than its code prints"
        printed.append(out.getvalue())
    return "".join(printed)


def test_the_readme_python_blocks_run():
    assert "acme 2026-04 100.00 EUR" in run_blocks(README)


@pytest.mark.parametrize("page", TUTORIALS)
def test_the_tutorials_python_blocks_run(page, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # whatever a page writes stays in a temporary directory
    run_blocks(ROOT / page)


def test_a_page_whose_shown_output_differs_is_noticed(tmp_path):
    page = tmp_path / "page.md"
    page.write_text('```python\nprint("yes")\n```\n\nprints\n\n```text\nno\n```\n')
    with pytest.raises(AssertionError, match="other output"):
        run_blocks(page)
