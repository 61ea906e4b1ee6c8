"""REST API infrastructure shared by every app: one error shape, idempotency keys,
per-organization rate limits, pagination and the organization-scoped viewset base."""
