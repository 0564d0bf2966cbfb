"""Helpers for tests that read rendered HTML."""
import re


def without_cell_labels(html):
    """``html`` without the ``data-label`` attributes that stacked (phone) tables put on their
    cells, for assertions about a table's cells and their order."""
    if isinstance(html, bytes):
        return re.sub(rb' data-label="[^"]*"', b"", html)
    return re.sub(r' data-label="[^"]*"', "", html)
