"""Adjustments that the documentation site makes at build time (mkdocs.yml `hooks:`).

- The experiment reports in docs/experiments/ list every file their script writes, with
  a link each; the largest (the daily tables) are not kept in the repository. On the site
  such a link would lead nowhere, so it becomes plain text saying where the file comes
  from, and every other link is still checked by the strict build.
- The pages of wide tables (the scenario reference, the validation report) leave out the
  navigation sidebar, so that their tables fit; the contents sidebar stays.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

# A Markdown link to a relative data file: [text](name.csv)
_DATA_LINK = re.compile(r"\[([^\]]*)\]\(([^)\s:#]+\.(?:csv|parquet))\)")
_NOT_KEPT = "{text} (not kept in the repository: the command at the end of this report writes it)"

# Pages whose tables need the width of the navigation sidebar (paths in docs/).
WIDE_PAGES = {"reference/scenario-files.md", "validation.md"}


def on_page_markdown(markdown: str, page: Any, **_: Any) -> str:
    """Widen the pages of wide tables, and unlink the data files the repository lacks."""
    if page.file.src_uri in WIDE_PAGES:
        page.meta.setdefault("hide", []).append("navigation")
    if not page.file.src_uri.startswith("experiments/") or page.file.abs_src_path is None:
        return markdown
    folder = Path(page.file.abs_src_path).parent

    def unlink(match: re.Match[str]) -> str:
        text, target = match.groups()
        if (folder / target).exists():
            return match.group(0)
        return _NOT_KEPT.format(text=text)

    return _DATA_LINK.sub(unlink, markdown)
