"""simnet project package: settings, URLs, ASGI entry point and the tenancy app."""
