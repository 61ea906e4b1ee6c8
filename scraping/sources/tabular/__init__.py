"""CSV / JSONL upload of post histories, one row per item, any number of accounts."""

from scraping.sources.tabular.parse import TabularLimits, parse_tabular
from scraping.sources.tabular.schema import ALLOWED_COLUMNS, COLUMNS, SCHEMA_DOC, TEMPLATE_CSV

__all__ = ["ALLOWED_COLUMNS", "COLUMNS", "SCHEMA_DOC", "TEMPLATE_CSV", "TabularLimits", "parse_tabular"]
