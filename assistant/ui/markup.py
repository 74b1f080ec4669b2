"""Text from records, files and models, written so that the page shows it as text.

Catalogue titles, quoted passages, file names and a model's answer are data: a title such as
`![](http://x/?q=…)` or `<img src=x onerror=…>` must appear as those characters, never as an
image, a link or markup. Gradio renders chat messages and Markdown blocks as Markdown (and
lets some HTML through its sanitiser), so every such text goes through `markdown_text` before
it is placed in our own Markdown, and through `html.escape` before it is placed in our HTML.

    markdown_text("见 http://x.cn ![a](b)")   # '见 http\\://x.cn \\!\\[a\\]\\(b\\)'

What `markdown_text` does: a backslash before every ASCII character that can start Markdown or
HTML markup (CommonMark lets any ASCII punctuation be escaped), and before the `:` of `http://`,
the `.` of `www.` and the `@` of an e-mail address, so the autolinker sees no bare URL. Line
breaks stay line breaks; list numbers like `1. ` stay (they render as a list, which is text).
LaTeX is switched off on the components themselves (`latex_delimiters=[]`).
"""

from __future__ import annotations

import html
import re

_MARKUP = re.compile(r"([\\`*_\[\]()<>!#|~$&{}])")
_AUTOLINK = re.compile(r"(?i)(?<=[a-z])(:)(?=//)|(?<=www)(\.)|(@)")
_ESCAPED = re.compile(r"\\([\\`*_\[\]()<>!#|~$&{}:.@])")


def markdown_text(text: str) -> str:
    """`text` as Markdown that renders as exactly `text`."""
    escaped = _MARKUP.sub(r"\\\1", text)
    return _AUTOLINK.sub(lambda match: "\\" + match.group(0), escaped)


def plain_text(markdown: str) -> str:
    """The text `markdown_text` was given back (for chat history the browser returns)."""
    return _ESCAPED.sub(r"\1", markdown)


def html_text(text: str) -> str:
    """`text` for an HTML element's content or a quoted attribute."""
    return html.escape(text, quote=True)
