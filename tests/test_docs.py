"""The documentation matches the code: the generated pages of docs/ (scenario reference,
metrics), the scenario list, the README's quick start, the examples of every page, and
docs/ODD.md's process overview."""

from __future__ import annotations

import ast
import multiprocessing
import re
import shlex
from pathlib import Path

import pytest

from simulation import docs
from simulation.cli import build_parser
from simulation.format import split_unit
from simulation.metrics import METRICS
from simulation.model import STEP_PHASES as PHASES
from simulation.scenario import bundled_scenario_dir

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCS = ROOT / "docs"
ODD = DOCS / "ODD.md"
SCENARIOS_PAGE = DOCS / "scenarios.md"
METRICS_PAGE = DOCS / "reference" / "metrics.md"
MAKEFILE = ROOT / "Makefile"
MODEL = ROOT / "simulation" / "model.py"


def readme() -> str:
    return README.read_text(encoding="utf-8")


def written_pages() -> list[Path]:
    """The README and the pages of docs/ written by hand or from the code (the experiment
    reports, written by their scripts, are left out)."""
    pages = sorted(p for p in DOCS.rglob("*.md") if "experiments" not in p.relative_to(DOCS).parts)
    return [README, *pages]


def all_pages() -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in written_pages())


def section(text: str, heading: str) -> str:
    """The body of a Markdown section, from its heading to the next heading of its level."""
    match = re.search(rf"^(#+) {re.escape(heading)}\s*$", text, re.M)
    assert match, f"no section headed '{heading}'"
    level = len(match.group(1))
    rest = text[match.end() :]
    end = re.search(rf"^#{{1,{level}}} ", rest, re.M)
    return rest[: end.start()] if end else rest


def code_blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", text, re.M | re.S)


# --------------------------------------------------------------------------- generated


def test_every_generated_section_has_a_page():
    assert set(docs.PAGES) == set(docs.SECTIONS)
    for name, page in docs.PAGES.items():
        assert (DOCS / page).exists(), f"docs/{page}, the page of '{name}', is missing"


@pytest.mark.parametrize("name", list(docs.SECTIONS))
def test_generated_sections_are_current(name):
    page = DOCS / docs.PAGES[name]
    text = page.read_text(encoding="utf-8")
    begin, end = docs.markers(name)
    assert begin in text and end in text, (
        f"docs/{docs.PAGES[name]} lacks the markers {begin} … {end}"
    )
    current = docs.extract_section(text, name)
    expected = docs.SECTIONS[name]()
    if current != expected:
        old, new = current.splitlines(), expected.splitlines()
        first = next(
            (i for i, (a, b) in enumerate(zip(old, new, strict=False)) if a != b),
            min(len(old), len(new)),
        )
        shown = old[first] if first < len(old) else "(end)"
        wanted = new[first] if first < len(new) else "(end)"
        pytest.fail(
            f"docs/{docs.PAGES[name]}'s '{name}' section is out of date with the code; "
            f"regenerate it with `{docs.REGENERATE}`.\nFirst difference at line {first + 1} "
            f"of the section:\n  page: {shown}\n  code: {wanted}"
        )


def test_every_schema_field_is_in_the_reference():
    reference = docs.render_scenario_reference()
    for section in docs.schema_sections():
        for row in section.rows:
            assert f"| `{row.key}` |" in reference, f"{section.heading} {row.key} missing"
    for heading in ("[population]", "[mechanism]", "[departments.<name>]", "[[events]]"):
        assert heading in reference, f"no {heading} section in the reference"


def test_units_are_split_from_descriptions():
    assert split_unit("Mean patience [hours].") == ("Mean patience.", "hours")
    assert split_unit("A [x] and [unit]; then more.") == ("A [x] and; then more.", "unit")
    assert split_unit("No unit.") == ("No unit.", "")


def test_write_rewrites_only_between_markers(tmp_path):
    names = list(docs.SECTIONS)
    for name in names:
        page = tmp_path / docs.PAGES[name]
        page.parent.mkdir(parents=True, exist_ok=True)
        begin, end = docs.markers(name)
        page.write_text(f"x\n{begin}\nSTALE-TEXT\n{end}\ny", encoding="utf-8")
    assert docs.main(["--check", "--docs", str(tmp_path)]) == 1
    assert sorted(docs.update_docs(tmp_path)) == sorted(names)
    for name in names:
        text = (tmp_path / docs.PAGES[name]).read_text(encoding="utf-8")
        assert not docs.outdated_sections(text, [name])
        assert text.startswith("x\n") and text.endswith("\ny") and "STALE-TEXT" not in text
    assert docs.update_docs(tmp_path) == []
    assert docs.main(["--check", "--docs", str(tmp_path)]) == 0


# --------------------------------------------------------------------------- scenarios


def test_bundled_scenarios_table_lists_exactly_the_bundled_files():
    table = section(SCENARIOS_PAGE.read_text(encoding="utf-8"), "Bundled scenarios")
    listed = re.findall(r"^\| `([\w-]+)` \|", table, re.M)
    bundled = sorted(p.stem for p in bundled_scenario_dir().glob("*.toml"))
    missing = sorted(set(bundled) - set(listed))
    unknown = sorted(set(listed) - set(bundled))
    assert not missing, f"bundled scenarios not in docs/scenarios.md's table: {missing}"
    assert not unknown, f"docs/scenarios.md lists scenarios that are not in scenarios/: {unknown}"
    assert len(listed) == len(set(listed)), f"listed twice: {listed}"


def test_scenarios_the_pages_run_exist():
    """Every scenario name given to `microgov run|show|validate` in the pages is bundled."""
    bundled = {p.stem for p in bundled_scenario_dir().glob("*.toml")}
    text = all_pages()
    for match in re.finditer(r"microgov (?:run|show|validate) ([\w-]+)(?!\.toml)\b", text):
        name = match.group(1)
        if not name.startswith("-") and not name.startswith("my_"):
            assert name in bundled, f"the docs run '{name}', which is not a bundled scenario"


# --------------------------------------------------------------------------- metrics


def test_every_metric_appears_in_the_glossary():
    text = METRICS_PAGE.read_text(encoding="utf-8")
    missing = [name for name in METRICS if f"`{name}`" not in text]
    assert not missing, (
        f"metrics not in docs/reference/metrics.md: {missing}; run `{docs.REGENERATE}`"
    )


def test_every_summary_key_is_documented(small):
    from simulation import run_one

    summary = run_one(small.with_overrides({"population.citizens": 300}), seed=1, days=1).summary
    documented = set(METRICS) | {name for name, _, _ in docs.metric_families()}
    undocumented = sorted(set(summary) - documented)
    assert not undocumented, (
        f"summary metrics without a glossary entry: {undocumented}; add them to METRICS in "
        f"simulation/metrics.py (or docs.metric_families) and run `{docs.REGENERATE}`"
    )


# --------------------------------------------------------------------------- quick start


def make_targets() -> set[str]:
    text = MAKEFILE.read_text(encoding="utf-8")
    return set(re.findall(r"^([\w.-]+):", text, re.M))


def test_quick_start_is_make_run_and_make_test():
    quick = section(readme(), "Quick start")
    blocks = code_blocks(quick, "bash")
    assert blocks, "the Quick start section has no bash block"
    commands = [line.strip() for line in blocks[0].splitlines() if line.strip()]
    assert commands == ["make run", "make test"], f"quick-start commands: {commands}"
    targets = make_targets()
    assert {"run", "test"} <= targets, f"Makefile targets: {sorted(targets)}"
    assert "3.12" in quick, "the quick start should say Python 3.12 is needed"


def test_make_targets_named_in_the_pages_exist():
    named = set(re.findall(r"`make ([\w-]+)`|^make ([\w-]+)", all_pages(), re.M))
    named = {a or b for a, b in named}
    missing = named - make_targets()
    assert not missing, f"the docs name make targets the Makefile lacks: {sorted(missing)}"


def test_microgov_examples_parse():
    """Every `microgov …` line in the pages' bash and text blocks is accepted by the CLI's
    parser."""
    parser = build_parser()
    lines = [
        line.strip()
        for language in ("bash", "text")
        for block in code_blocks(all_pages(), language)
        for line in block.replace("\\\n", " ").splitlines()
        if line.strip().startswith("microgov ")
    ]
    assert len(lines) >= 5, f"expected examples of every subcommand, found {lines}"
    seen = set()
    for line in lines:
        words = shlex.split(line.split("#", 1)[0].split(">", 1)[0])
        try:
            args = parser.parse_args(words[1:])
        except SystemExit:
            pytest.fail(f"example in the docs does not parse: {line}")
        seen.add(args.command)
    basics = {"run", "validate", "show", "list", "compare", "sweep", "validate-model"}
    assert basics <= seen, f"subcommands shown: {sorted(seen)}, missing {sorted(basics - seen)}"


@pytest.mark.slow  # 8.8-14.3 s: the examples run the 10,000-citizen scenarios
def test_python_examples_run(tmp_path, monkeypatch):
    """The pages' Python examples run as written (in a scratch folder)."""
    monkeypatch.chdir(tmp_path)
    blocks = [
        (page, number, block)
        for page in written_pages()
        for number, block in enumerate(code_blocks(page.read_text(encoding="utf-8"), "python"), 1)
    ]
    assert len(blocks) >= 5, f"expected Python examples in the docs, found {len(blocks)}"
    method = multiprocessing.get_start_method(allow_none=True)
    try:
        for page, number, block in blocks:
            where = page.relative_to(ROOT).as_posix()
            code = compile(block, f"{where} python example {number}", "exec")
            exec(code, {"__name__": f"docs_example_{number}"})
    finally:  # the mesa.batch_run example sets the spawn start method for the program
        multiprocessing.set_start_method(method, force=True)


# --------------------------------------------------------------------------- ODD


def phases_in_docstring() -> list[str]:
    module = ast.parse(MODEL.read_text(encoding="utf-8"))
    docstring = ast.get_docstring(module) or ""
    return re.findall(r"^\s*\d+\.\s+`(\w+)`", docstring, re.M)


def phases_in_step() -> list[str]:
    module = ast.parse(MODEL.read_text(encoding="utf-8"))
    for node in ast.walk(module):
        if isinstance(node, ast.ClassDef) and node.name == "GovernmentResponseModel":
            step = next(f for f in node.body if isinstance(f, ast.FunctionDef) and f.name == "step")
            calls = [
                n.func.attr
                for n in ast.walk(step)
                if isinstance(n, ast.Call)
                and isinstance(n.func, ast.Attribute)
                and isinstance(n.func.value, ast.Name)
                and n.func.value.id == "self"
            ]
            return sorted(calls, key=lambda name: _line_of_call(step, name))
    raise AssertionError("GovernmentResponseModel.step not found in simulation/model.py")


def _line_of_call(step: ast.FunctionDef, name: str) -> int:
    return min(
        n.lineno
        for n in ast.walk(step)
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == name
    )


def test_step_runs_the_phases_its_docstring_lists():
    listed, called = phases_in_docstring(), phases_in_step()
    assert listed == list(PHASES), f"model.py's docstring lists {listed}"
    assert called == list(PHASES), f"GovernmentResponseModel.step calls {called}"


def test_odd_describes_every_phase_in_order():
    assert ODD.exists(), "docs/ODD.md is missing"
    text = ODD.read_text(encoding="utf-8")
    for heading in (
        "Purpose and patterns",
        "Entities, state variables and scales",
        "Process overview and scheduling",
        "Design concepts",
        "Initialization",
        "Input data",
        "Submodels",
    ):
        assert re.search(rf"^#+ .*{heading}", text, re.M), f"ODD has no '{heading}' section"
    overview = section(text, "3. Process overview and scheduling")
    positions = []
    for phase in phases_in_docstring():
        where = overview.find(f"`{phase}`")
        assert where >= 0, f"docs/ODD.md's process overview does not mention `{phase}`"
        positions.append(where)
    assert positions == sorted(positions), "docs/ODD.md lists the phases in another order"


def test_odd_mentions_every_scenario_section():
    text = ODD.read_text(encoding="utf-8")
    for name in ("population", "channels", "diffusion", "reactions", "mechanism", "staffing"):
        assert f"`{name}." in text or f"`{name}`" in text, f"ODD never names {name}.*"


def test_the_readmes_links_lead_somewhere():
    """The README is the front door: each of its links to the repository's files (the
    site's pages among them) and to its own sections exists. The pages' links are checked
    by the strict build of the site (make test)."""
    text = readme()
    headings = {
        re.sub(r"[^\w\- ]", "", h).strip().lower().replace(" ", "-")
        for h in re.findall(r"^#+ (.+)$", text, re.M)
    }
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if "://" in target:
            continue
        path, _, anchor = target.partition("#")
        if path:
            assert (ROOT / path).exists(), f"README links to {path}, which does not exist"
        else:
            assert anchor in headings, f"README links to #{anchor}, which is no heading of it"
