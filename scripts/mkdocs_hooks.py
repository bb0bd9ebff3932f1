"""MkDocs hooks (``hooks:`` in mkdocs.yml): the CLI reference's examples as code blocks.

A command's help keeps its "Example:" lines apart with click's ``\\b`` marker,
which a terminal honours; mkdocs-click hands them to Markdown as one paragraph,
which a browser would run together into one line. This turns each such
paragraph back into the word "Example:" and a code block of its lines.
"""

from __future__ import annotations

import re
import textwrap
from typing import Any

EXAMPLE = re.compile(r"<p>Example:\n(.*?)</p>", re.DOTALL)


def on_page_content(html: str, page: Any, **_: Any) -> str:
    if page.file.src_uri != "cli.md":
        return html
    return EXAMPLE.sub(_code_block, html)


def _code_block(match: re.Match[str]) -> str:
    lines = textwrap.dedent(match.group(1)).strip("\n")
    return f"<p>Example:</p>\n<pre><code>{lines}</code></pre>"
