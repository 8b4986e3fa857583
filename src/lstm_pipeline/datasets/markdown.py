"""Catalog entry for a Markdown report: an atomic text file that kedro-viz previews rendered
as HTML (kedro-viz has no Markdown preview; it shows sanitised HTML)."""

from urllib.parse import urlsplit

from kedro_datasets._typing import HTMLPreview
from markdown_it import MarkdownIt
from markdown_it.token import Token

from lstm_pipeline.datasets.atomic import AtomicTextDataset


class MarkdownDataset(AtomicTextDataset):
    """A ``.md`` file, saved atomically like :class:`AtomicTextDataset`; kedro-viz previews
    it rendered: headings, tables, lists and emphasis as HTML, links and images of files
    beside the report as plain text (they do not resolve inside kedro-viz), raw HTML left
    out.

    Example catalog entry::

        report:
          type: lstm_pipeline.datasets.MarkdownDataset
          filepath: data/08_reporting/report.md
    """

    def preview(self) -> HTMLPreview:
        """kedro-viz: the report rendered as HTML."""
        return HTMLPreview(markdown_html(self.load()))


def markdown_html(text: str) -> str:
    """CommonMark with GitHub tables as HTML; raw HTML (the report's lineage comment) is
    dropped and relative links become their text followed by the target in parentheses.

    >>> markdown_html("[Learning curves](plots/learning_curves.png)")
    '<p>Learning curves (plots/learning_curves.png)</p>\\n'
    """
    parser = MarkdownIt("commonmark").enable("table")
    tokens = [token for token in parser.parse(text) if token.type != "html_block"]
    for token in tokens:
        if token.children:
            token.children = _unlinked(token.children)
    return parser.renderer.render(tokens, parser.options, {})


def _unlinked(children: list[Token]) -> list[Token]:
    """Inline tokens with relative links and images replaced by '<text> (<target>)' (they
    would not resolve inside kedro-viz), raw HTML dropped."""
    kept: list[Token] = []
    targets: list[str | None] = []  # per open link: its target when it is dropped
    for token in children:
        if token.type == "html_inline":
            continue
        if token.type == "image" and _is_relative(str(token.attrGet("src") or "")):
            text = f"{token.content} ({token.attrGet('src')})"
            kept.append(Token("text", "", 0, content=text))
            continue
        if token.type == "link_open":
            href = str(token.attrGet("href") or "")
            targets.append(href if _is_relative(href) else None)
            if targets[-1] is None:
                kept.append(token)
            continue
        if token.type == "link_close":
            target = targets.pop()
            if target is None:
                kept.append(token)
            else:
                kept.append(Token("text", "", 0, content=f" ({target})"))
            continue
        kept.append(token)
    return kept


def _is_relative(href: str) -> bool:
    """A link to a file beside the document (no scheme, not an anchor, not absolute)."""
    parts = urlsplit(href)
    return not (parts.scheme or parts.netloc or href.startswith(("#", "/")))
