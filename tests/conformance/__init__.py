"""CEL conformance tests (cel-spec simple tests, JSON form) run against celprice."""
