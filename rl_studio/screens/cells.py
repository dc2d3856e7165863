"""Table cells as plain Text: a DataTable parses str cells as markup, and model output holds brackets."""

from __future__ import annotations

from rich.text import Text


def cells(*values: object) -> list[Text]:
    return [v if isinstance(v, Text) else Text(str(v)) for v in values]
