"""The answer for one profile as a self-contained HTML page (`rnetkg compare PROFILE --format html`), and
the same report inside the clinician page of `rnetkg serve`.

context.py reads what the page names from the graph (guideline and modality labels, the source
documents, the graph's version); html.py renders with Jinja2 (autoescape on), imported only when a
page is rendered; templates/ holds the page, the report and its inline style sheet.
"""

from .context import ReportContext, SourceDocument, context_for

__all__ = ["ReportContext", "SourceDocument", "context_for"]
