"""The renderer lives in the core (`celprice.render`): the checker's hints use it too."""
from __future__ import annotations

from ..render import is_literal, qualified_name, render

__all__ = ["render", "is_literal", "qualified_name"]
