"""Letters: LetterContext (pure data) -> render_html (jinja2) -> to_pdf (WeasyPrint, imported lazily)."""
from .context import Agency, Applicant, LetterContext
from .kinds import KIND_ALIASES, LetterKind, resolve_kind
from .render import render_html, render_pdf, to_pdf

__all__ = ["LetterKind", "KIND_ALIASES", "resolve_kind", "LetterContext", "Agency", "Applicant",
           "render_html", "to_pdf", "render_pdf"]
