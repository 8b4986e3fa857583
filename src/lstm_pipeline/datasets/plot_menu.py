"""Several Plotly figures (as JSON dicts) in one figure with a drop-down menu that shows one
at a time: kedro-viz previews a dataset with one figure, and a folder of plots reads best as
a menu of them (stacked subplots would be squeezed into the small preview panel).

    >>> menu = figure_menu({"loss": loss_figure_json, "errors": errors_figure_json})
    >>> [button["label"] for button in menu["layout"]["updatemenus"][0]["buttons"]]
    ['Learning curves', 'Error by horizon step']
"""

from typing import Any

# grid lines and the chosen menu entry: readable on kedro-viz's light and dark themes
GREY = "rgba(128, 128, 128, 0.4)"


def figure_menu(figures: dict[str, dict]) -> dict:
    """One Plotly figure dict holding every trace of ``figures`` (name -> figure JSON, each
    on one pair of axes), each figure on its own axes; a drop-down button per figure shows
    its traces and axes and hides the others. The first figure shows at first.

    Raises:
        ValueError: a figure draws on more than one pair of axes (a subplot grid).
    """
    if not figures:
        return {"data": [], "layout": {}}
    traces: list[dict] = []
    owner: list[int] = []  # which figure each trace came from
    layout: dict[str, Any] = {}
    titles = []
    for number, (name, figure) in enumerate(figures.items()):
        suffix = _suffix(number)
        for trace in figure.get("data", []):
            _check_single_axes(name, trace)
            traces.append({**trace, "xaxis": f"x{suffix}", "yaxis": f"y{suffix}"})
            owner.append(number)
        source = figure.get("layout", {})
        layout.update(_axes(source, number))
        titles.append(_title(name, source))
    # a trace's own setting ("legendonly": listed, drawn on a click) holds while it shows
    own = [trace.get("visible", True) for trace in traces]
    buttons = [_button(titles, own, owner, shown) for shown in range(len(figures))]
    for trace, visible in zip(traces, _visibility(own, owner, 0), strict=True):
        trace["visible"] = visible
    layout["title"] = {"text": titles[0]}
    layout["template"] = next(iter(figures.values())).get("layout", {}).get("template", {})
    # above the plot area's right edge: clear of the title (left) and of the traces
    menu = {"x": 1, "xanchor": "right", "y": 1.02, "yanchor": "bottom", "activecolor": GREY}
    layout["updatemenus"] = [{"buttons": buttons, **menu}]
    return {"data": traces, "layout": layout}


def _suffix(number: int) -> str:
    """Plotly's axis names: x, x2, x3, ... for figures 0, 1, 2, ..."""
    return "" if number == 0 else str(number + 1)


def _axes(source: dict, number: int) -> dict:
    """Figure ``number``'s pair of axes, styled as in its own figure, on the shared plot
    area (a subplot of its own would paint its background over the first's traces)."""
    suffix = _suffix(number)
    axes = {}
    for axis, other in (("xaxis", "y"), ("yaxis", "x")):
        # kedro-viz's theme styles the first pair alone: a grey grid reads on both themes
        style = {"anchor": f"{other}{suffix}", "gridcolor": GREY, "zerolinecolor": GREY}
        style["visible"] = number == 0  # the first figure shows at first
        if number:
            style["overlaying"] = axis[0]
        axes[f"{axis}{suffix}"] = {**source.get(axis, {}), **style}
    return axes


def _check_single_axes(name: str, trace: dict) -> None:
    axes = (trace.get("xaxis", "x"), trace.get("yaxis", "y"))
    if axes != ("x", "y"):
        raise ValueError(
            f"Plot '{name}' draws on axes {axes}; a plot menu takes figures on one pair of axes "
            "(x, y), not subplot grids."
        )


def _title(name: str, layout: dict) -> str:
    title = layout.get("title")
    text = title.get("text") if isinstance(title, dict) else title
    return text or name.replace("_", " ")


def _visibility(own: list, owner: list[int], shown: int) -> list:
    """Each trace's visibility with figure ``shown`` selected."""
    pairs = zip(own, owner, strict=True)
    return [visible if source == shown else False for visible, source in pairs]


def _button(titles: list[str], own: list, owner: list[int], shown: int) -> dict:
    """A menu entry that shows figure ``shown``: its traces, title and axes, no others."""
    layout: dict[str, Any] = {"title.text": titles[shown]}
    for number in range(len(titles)):
        layout[f"xaxis{_suffix(number)}.visible"] = number == shown
        layout[f"yaxis{_suffix(number)}.visible"] = number == shown
    return {
        "label": titles[shown],
        "method": "update",
        "args": [{"visible": _visibility(own, owner, shown)}, layout],
    }
