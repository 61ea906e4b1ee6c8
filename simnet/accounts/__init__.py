"""The pages and API of accounts and organizations: sign-up and sign-in, members, invitations,
API tokens, organization settings and the audit log. The rules behind them live in
``simnet.tenancy``, which this package sits above."""
