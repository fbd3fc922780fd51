"""CEL values as JSON: the conversion lives in the core (`celprice.json_values`),
where the HTTP server's explain route uses it too."""
from __future__ import annotations

from ..json_values import dumps, to_json, type_of

__all__ = ["to_json", "dumps", "type_of"]
