"""Serve the standalone page without internet: Solara's browser assets in its cache.

The page's JavaScript and CSS (Solara's Vuetify app, RequireJS, Font Awesome, the grid
layout Mesa's pages use) are npm packages that a Solara server looks for in
`<venv>/share/solara/cdn/` and, if they are not there, fetches from a public CDN (and
keeps). On a machine that cannot reach that CDN (a locked-down classroom, a CI runner)
the page stays blank. The `viz` extra installs them: the `solara-assets` package of the
same version as solara (constraints.txt pins both). `check()` says in one line what is
missing and how to get it; the page's server runs it at start. Without a matching
`solara-assets` (solara upgraded past it), this fills the cache from the npm registry
with the ordinary `npm` client instead:

    .venv/bin/python -m simulation.viz.offline

It reads the exact package versions from the installed Solara's page template, so it
stays right when Solara is upgraded. Jupyter does not need it (the notebook's widgets
come from the installed Python packages).
"""

from __future__ import annotations

import importlib.metadata
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


# Solara's Vuetify app for Vue 2 and for Vue 3: the page loads the one that fits the
# installed ipyvue (Vue 3 from ipyvue 3 on).
_VUE2_APP, _VUE3_APP = "@widgetti/solara-vuetify-app@", "@widgetti/solara-vuetify3-app@"


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
    unused = _VUE2_APP if _installed_version("ipyvue").startswith("3") else _VUE3_APP
    return sorted(p for p in found if not p.startswith(unused))


def _installed_version(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return ""


def missing_packages(directory: Path | None = None) -> list[str]:
    """Required packages not yet in the cache."""
    directory = cache_dir() if directory is None else directory
    return [p for p in required_packages() if not (directory / p).is_dir()]


def check(directory: Path | None = None) -> str | None:
    """None if the page's assets are all installed, else one line: what is missing, the fix."""
    missing = missing_packages(directory)
    if not missing:
        return None
    where = cache_dir() if directory is None else directory
    solara_version = _installed_version("solara")
    return (
        f"Solara's browser assets for solara {solara_version} are not installed "
        f"(missing in {where}: {', '.join(missing)}), so without internet the page stays "
        f"blank: run `{Path(sys.prefix) / 'bin' / 'pip'} install solara-assets=="
        f"{solara_version}`, or (with npm) `{Path(sys.executable)} -m simulation.viz.offline`"
    )


_checked = False


def warn_once() -> None:
    """Print `check()`'s line to stderr, the first time in this process that it finds a gap."""
    global _checked
    if _checked:
        return
    _checked = True
    message = check()
    if message:
        print(f"microgov viz: {message}", file=sys.stderr, flush=True)


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
