"""kedro-viz as a person sees it: `kedro viz build --include-previews` over a finished run, the
previews it wrote (the report rendered, the model's layers, the plots behind one menu), and
the static site opened in headless Chromium (Debian's chromium, driven by Playwright).

Chromium and Playwright are required in CI (CI=true): missing there, the test fails; on a
developer's machine it is skipped with the command that installs them. With
LSTM_PIPELINE_VIZ_SCREENSHOTS=<folder> the screenshots are also written there (how
docs/kedro_viz_*.png are made)."""

import functools
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.conftest import copy_project

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
STAGES = ["ingestion", "normalisation", "windowing", "modelling", "training", "evaluation"]
EVALUATION_NODES = [
    "predict_test_split",
    "score_test_split",
    "plot_evaluation",
    "write_report",
    "record_evaluation",
]


def require(available: bool, what: str) -> None:
    """Skip without ``what`` on a developer's machine; fail in CI, where it must be there."""
    if available:
        return
    message = f"{what} is missing: `make install` installs it (apt-get install chromium)"
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="module")
def site(finished_project, tmp_path_factory) -> Path:
    """The static kedro-viz site of the finished run, with previews. kedro-viz always
    writes ./build, so it is built in a copy of the project, never in the repository."""
    project = copy_project(finished_project, tmp_path_factory.mktemp("viz") / "project")
    env = {**os.environ, "KEDRO_DISABLE_TELEMETRY": "1", "COLUMNS": "200"}
    done = subprocess.run(
        [sys.executable, "-m", "kedro", "viz", "build", "--include-previews"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert (project / "build" / "index.html").is_file(), done.stdout[-3000:]
    return project


def node_details(site: Path, name: str) -> dict:
    """The build's API answer for the node (task or dataset) called ``name``."""
    graph = json.loads((site / "build" / "api" / "main").read_text())
    ids = [node["id"] for node in graph["nodes"] if node["name"] == name]
    assert len(ids) == 1, f"{name}: {len(ids)} nodes in the graph"
    return json.loads((site / "build" / "api" / "nodes" / ids[0]).read_text())


def test_the_report_preview_is_the_report_rendered(site):
    details = node_details(site, "report")
    assert details["preview_type"] == "HTMLPreview"
    html = details["preview"]
    report = (site / "data" / "08_reporting" / "report.md").read_text()
    assert report.startswith("# Evaluation report")
    assert "<h1>Evaluation report</h1>" in html
    # every row of the Markdown tables is an HTML table row: | a | b | -> <tr>
    table_rows = [line for line in report.splitlines() if re.fullmatch(r"\|.*\|", line)]
    separators = [line for line in table_rows if re.fullmatch(r"\|[-| :]+\|", line)]
    assert html.count("<tr>") == len(table_rows) - len(separators) > 0
    # the plot links name their files instead of pointing nowhere inside kedro-viz
    assert "(plots/forecast_windows.png)" in html and "href=" not in html
    assert "lineage" in report and "lineage" not in html


def test_the_model_preview_lists_its_layers_as_the_model_summary_does(site):
    details = node_details(site, "model")
    assert details["preview_type"] == "TablePreview"
    table = details["preview"]
    summary = json.loads((site / "data" / "08_reporting" / "model_summary.json").read_text())
    assert table["columns"] == ["layer", "type", "output shape", "parameters"]
    *layers, total = table["data"]
    expected = [
        [
            layer["name"],
            layer["type"],
            str(tuple(layer["output_shape"])),
            layer["parameters"],
        ]
        for layer in summary["layers"]
    ]
    assert layers == expected
    assert total == ["total", "", "", summary["parameters"]]
    assert sum(row[3] for row in layers) == summary["parameters"] > 0


def test_every_evaluation_plot_is_in_one_preview_behind_a_menu(site):
    details = node_details(site, "evaluation_plots")
    assert details["preview_type"] == "PlotlyPreview"
    figure = details["preview"]
    folder = site / "data" / "08_reporting" / "plots"
    names = json.loads((folder / "index.json").read_text())["plots"]
    twins = [json.loads((folder / f"{name}.plotly.json").read_text()) for name in names]
    buttons = figure["layout"]["updatemenus"][0]["buttons"]
    assert [button["label"] for button in buttons] == [
        twin["layout"]["title"]["text"] for twin in twins
    ]
    assert len(figure["data"]) == sum(len(twin["data"]) for twin in twins)
    # the evaluation graph has one plots node with one output: no edge per plot
    graph = json.loads((site / "build" / "api" / "pipelines" / "evaluation").read_text())
    plot_node = next(n["id"] for n in graph["nodes"] if n["name"] == "plot_evaluation")
    assert len([e for e in graph["edges"] if e["source"] == plot_node]) == 1


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # the test's output stays the test's
        pass


@pytest.fixture
def served(site):
    """The built site over HTTP on the loopback address (it fetches its api/ files)."""
    handler = functools.partial(QuietHandler, directory=str(site / "build"))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()
        thread.join()


@pytest.fixture
def browser_page(tmp_path):
    """A page of headless Debian Chromium with a fresh profile."""
    require(CHROMIUM.is_file(), f"Chromium ({CHROMIUM})")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        require(False, "Playwright for Python (the viz extra)")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"),
            executable_path=str(CHROMIUM),
            args=CHROMIUM_ARGS,
            headless=True,
            viewport={"width": 1280, "height": 800},
        )
        try:
            yield context.new_page()
        finally:
            context.close()


def screenshot(page, tmp_path: Path, name: str) -> Path:
    """A screenshot in the test's folder, and in LSTM_PIPELINE_VIZ_SCREENSHOTS when set."""
    path = tmp_path / f"kedro_viz_{name}.png"
    page.evaluate("window.scrollTo(0, 0)")  # clicks may have scrolled the page sideways
    page.screenshot(path=str(path))
    assert path.stat().st_size > 10_000  # a drawn page, not a blank one
    folder = os.environ.get("LSTM_PIPELINE_VIZ_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(folder) / path.name)
    return path


def close_the_tour(page) -> None:
    """kedro-viz opens a tour of its features on a first visit (a fresh profile)."""
    close = page.locator(".feature-hints__close")
    try:
        close.click(timeout=10_000)
    except Exception:  # noqa: BLE001 - no tour this time: nothing to close
        return


def choose_pipeline(page, name: str) -> list[str]:
    """Open the pipeline menu, return its entries, and choose ``name``."""
    page.locator(".pipeline-list .dropdown__label").click()
    options = page.locator(".pipeline-list .menu-option")
    entries = [text.strip() for text in options.all_inner_texts()]
    options.filter(has_text=re.compile(rf"^\s*{name}\s*$")).click()
    return entries


def select(page, name: str) -> None:
    """Click ``name`` in the side bar's list (it is always on screen, unlike the node in a
    graph taller than the window), which selects it in the graph and opens its details."""
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import expect

    row = page.locator(".pipeline-nodelist .row-text__label")
    row = row.filter(has_text=re.compile(rf"^\s*{name}\s*$"))
    title = page.locator(".pipeline-metadata .pipeline-metadata__title")
    for _ in range(3):  # a click while the panel is still redrawing can be lost
        row.click()
        try:
            expect(title).to_have_text(name, timeout=5_000)
            return
        except (AssertionError, PlaywrightError):
            continue
    expect(title).to_have_text(name)


def test_the_site_shows_the_stages_and_opens_the_previews(served, browser_page, tmp_path):
    from playwright.sync_api import expect

    page = browser_page
    page.goto(served)
    graph = page.locator(".pipeline-flowchart .pipeline-node")
    expect(graph.first).to_be_visible(timeout=60_000)
    close_the_tour(page)
    assert set(STAGES) <= set(choose_pipeline(page, "evaluation"))
    # the graph is redrawn with the evaluation stage alone: training's node leaves it
    expect(graph.filter(has_text=re.compile(r"^train_model$"))).to_have_count(0)
    labels = set(graph.all_text_contents())
    assert set(EVALUATION_NODES) <= labels and "train_model" not in labels

    select(page, "model")
    table = page.locator(".pipeline-metadata .preview-table")
    expect(table).to_contain_text("parameters")
    expect(table.locator("tr").last).to_contain_text("total")

    select(page, "report")
    expect(page.locator(".pipeline-metadata .html-renderer h1")).to_have_text("Evaluation report")

    select(page, "evaluation_plots")
    expect(page.locator(".pipeline-metadata .js-plotly-plot")).to_be_visible()
    screenshot(page, tmp_path, "evaluation")
    page.get_by_text("Expand preview").click()
    modal = page.locator(".pipeline-metadata-modal")
    expect(modal.locator(".js-plotly-plot .gtitle")).to_have_text("Learning curves")
    modal.locator(".updatemenu-header").click()
    modal.locator(".updatemenu-dropdown-button", has_text="Test windows").click()
    expect(modal.locator(".js-plotly-plot .gtitle")).to_contain_text("Test windows")
    expect(modal.locator(".updatemenu-dropdown-button")).to_have_count(0)  # menu folded
    screenshot(page, tmp_path, "forecast_windows")


def test_the_classification_plots_share_one_menu_too(finished_classification_project):
    from lstm_pipeline.datasets import PlotFolderDataset

    (folder,) = finished_classification_project.glob("data/**/08_reporting/plots")
    names = json.loads((folder / "index.json").read_text())["plots"]
    assert "confusion_matrix" in names
    figure = PlotFolderDataset(str(folder)).preview()
    buttons = figure["layout"]["updatemenus"][0]["buttons"]
    assert len(buttons) == len(names) > 1
    for name, button in zip(names, buttons, strict=True):
        twin = json.loads((folder / f"{name}.plotly.json").read_text())
        assert button["label"] == twin["layout"]["title"]["text"]
        shown = [v for v in button["args"][0]["visible"] if v is not False]
        assert len(shown) == len(twin["data"]) > 0, name
