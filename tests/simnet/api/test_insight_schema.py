"""The insight API is documented in the project's OpenAPI schema."""

from __future__ import annotations


def test_the_schema_documents_the_insight_api(db):
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    paths = schema["paths"]
    assert "get" in paths["/api/v1/runs/{run_id}/report/"]
    assert "get" in paths["/api/v1/runs/{run_id}/export/{what}.{fmt}"]
    assert "get" in paths["/api/v1/experiments/{experiment_id}/comparison/"]
    created = paths["/api/v1/backtests/"]["post"]
    assert "202" in created["responses"] and created["requestBody"]
    assert "result" in schema["components"]["schemas"]["BacktestDetail"]["properties"]
