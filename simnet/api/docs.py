"""The API's documentation pages, Swagger UI and Redoc, served from static/vendor (no CDN).

The libraries come from the npm registry (package.json; ``make`` copies them to
static/vendor), so the pages work offline and under the site's Content-Security-Policy:
scripts stay ``'self'`` (the split Swagger view serves its start-up script as a file, not
inline). Only styles are loosened on these two pages, because both libraries render React
components that write ``<style>`` elements at run time; Redoc's search also runs in a
``blob:`` worker.
"""

from __future__ import annotations

from csp.constants import SELF, UNSAFE_INLINE
from csp.decorators import csp_update
from django.templatetags.static import static
from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerSplitView

DOCS_CSP = {"style-src": [UNSAFE_INLINE], "worker-src": [SELF, "blob:"]}


class SwaggerUIView(SpectacularSwaggerSplitView):
    @staticmethod
    def _swagger_ui_resource(filename: str) -> str:
        return static(f"vendor/swagger-ui/{filename}")

    @staticmethod
    def _swagger_ui_favicon() -> str:
        return static("favicon.svg")


class RedocView(SpectacularRedocView):
    template_name = "api/redoc.html"

    @staticmethod
    def _redoc_standalone() -> str:
        return static("vendor/redoc/bundles/redoc.standalone.js")


swagger_ui = csp_update(DOCS_CSP)(SwaggerUIView.as_view(url_name="api_schema"))
redoc = csp_update(DOCS_CSP)(RedocView.as_view(url_name="api_schema"))
