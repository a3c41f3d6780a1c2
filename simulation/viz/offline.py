"""Serve the standalone page without internet: put Solara's browser assets in its cache.

The page's JavaScript and CSS (Solara's Vuetify app, RequireJS, Font Awesome, the grid
layout Mesa arranges its views with) are npm
packages that a Solara server fetches from a public CDN on first use and then keeps in
`<venv>/share/solara/cdn/`. On a machine that cannot reach that CDN (a locked-down
classroom, a CI runner) the page stays blank. This fills the cache from the npm
registry with the ordinary `npm` client instead:

    .venv/bin/python -m simulation.viz.offline

It reads the exact package versions from the installed Solara's page template, so it
stays right when Solara is upgraded. Jupyter does not need it (the notebook's widgets
come from the installed Python packages).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

# A package pinned to an exact version behind the CDN prefix, in a page template
# (`{{cdn}}/name@1.2.3/…`) or a widget (`${this.getCdn()}/@scope/name@1.2.3-alpha.2/…`).
_PINNED = re.compile(
    r"(?:\{\{\s*cdn\s*\}\}|\$\{this\.getCdn\(\)\})/((?:@[\w.-]+/)?[\w.-]+@\d+\.\d+\.\d+[\w.+-]*)/"
)
# Widgets of Solara's that the page uses and that load code from the CDN themselves:
# Mesa's page lays its views out with GridDraggable (vue-grid-layout).
_WIDGET_SOURCES = ("widgets/vue/gridlayout*.vue",)


def cache_dir() -> Path:
    """Solara's asset cache (where its server looks before asking the CDN)."""
    from solara.server import settings

    return Path(settings.assets.proxy_cache_dir)


def required_packages() -> list[str]:
    """`name@version` of every npm package the installed Solara's page loads from the CDN."""
    import solara
    import solara.server
    from solara.server import settings

    sources = list((Path(solara.server.__file__).parent / "templates").glob("*.j2"))
    for pattern in _WIDGET_SOURCES:
        sources += Path(solara.__file__).parent.glob(pattern)
    found: set[str] = set()
    for source in sources:
        found.update(_PINNED.findall(source.read_text(encoding="utf-8")))
    fontawesome = settings.assets.fontawesome_path.strip("/").split("/")[0]
    if "@" in fontawesome:
        found.add(fontawesome)
    return sorted(found)


def missing_packages(directory: Path | None = None) -> list[str]:
    """Required packages not yet in the cache."""
    directory = cache_dir() if directory is None else directory
    return [p for p in required_packages() if not (directory / p).is_dir()]


def fill_cache(directory: Path | None = None, npm: str = "npm") -> list[str]:
    """Download the missing packages with `npm pack` and unpack them into the cache.

    Returns the packages added. Raises RuntimeError if npm is missing or fails.
    """
    directory = cache_dir() if directory is None else directory
    missing = missing_packages(directory)
    if not missing:
        return []
    if shutil.which(npm) is None:
        raise RuntimeError("npm is not installed; it is needed to fetch the page's assets")
    with tempfile.TemporaryDirectory() as tmp:
        for package in missing:
            result = subprocess.run(
                [npm, "pack", package, "--silent", "--pack-destination", tmp],
                capture_output=True,
                text=True,
                check=False,
            )
            if result.returncode != 0:
                raise RuntimeError(f"npm pack {package} failed: {result.stderr.strip()}")
            archive = Path(tmp) / result.stdout.strip().splitlines()[-1]
            target = directory / package
            staging = Path(tmp) / "unpacked"
            with tarfile.open(archive) as tar:
                tar.extractall(staging, filter="data")
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(staging / "package"), target)
            shutil.rmtree(staging, ignore_errors=True)
    return missing


def main() -> int:
    """Fill the cache of the page's assets and say what was added; returns the exit code."""
    try:
        added = fill_cache()
    except RuntimeError as exc:
        print(f"python -m simulation.viz.offline: {exc}", file=sys.stderr)
        return 1
    where = cache_dir()
    if added:
        print(f"Added to {where}: {', '.join(added)}")
    else:
        print(f"Nothing to do: {where} already has {', '.join(required_packages())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
