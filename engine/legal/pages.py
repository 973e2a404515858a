"""The legal office's HTML, from the templates in engine/legal/templates/ (jinja2).

- annual_report.html, dossier.html: documents that are also printed (letters/pdf.py html_to_pdf,
  which gives them BASE_CSS and the font). Autoescaped (jinja2/markupsafe) and StrictUndefined.
- dashboard.html: a page opened in a browser. Not autoescaped: the fields that hold user text go
  through the `escape_html` filter, the standard library's html.escape (which writes &quot; and
  &#x27;, not markupsafe's &#34; and &#39;), and the inline SVG charts are built in dashboard.py.
  It ends with a newline, the documents do not.
"""
from __future__ import annotations

from functools import lru_cache
from html import escape
from pathlib import Path

import jinja2

TEMPLATES = Path(__file__).resolve().parent / "templates"


@lru_cache(maxsize=None)
def environment(autoescape: bool = True, keep_trailing_newline: bool = False) -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=autoescape,
                             undefined=jinja2.StrictUndefined, keep_trailing_newline=keep_trailing_newline)
    env.filters["escape_html"] = escape
    return env


def document(name: str, **context) -> str:
    """A document template (annual_report.html, dossier.html) filled in."""
    return environment().get_template(name).render(**context)


def browser_page(name: str, **context) -> str:
    """A page for the browser (dashboard.html) filled in."""
    return environment(autoescape=False, keep_trailing_newline=True).get_template(name).render(**context)
