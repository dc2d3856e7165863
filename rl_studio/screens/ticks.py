"""Checkboxes and radio buttons whose state shows as a glyph (x / •), not only as a colour."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Checkbox, RadioButton


class TickBox(Checkbox):
    @property
    def _button(self) -> Content:
        self.BUTTON_INNER = "x" if self.value else " "
        return super()._button


class TickRadio(RadioButton):
    @property
    def _button(self) -> Content:
        self.BUTTON_INNER = "•" if self.value else " "
        return super()._button
