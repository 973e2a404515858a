"""Letters: LetterContext (pure data) -> render_html (jinja2) -> to_pdf (WeasyPrint, imported lazily).

The renderers load on first use: `ogi case show` names letter kinds (letters.kinds) without
loading jinja2."""
from .context import Agency, Applicant, LetterContext
from .kinds import KIND_ALIASES, LetterKind, resolve_kind

__all__ = ["LetterKind", "KIND_ALIASES", "resolve_kind", "LetterContext", "Agency", "Applicant",
           "render_html", "to_pdf", "render_pdf"]


def __getattr__(name: str):
    if name in ("render_html", "render_pdf", "to_pdf"):
        from . import render

        return getattr(render, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
