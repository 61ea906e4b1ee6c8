"""The sign-up form's fields, filled in (tests of sign-up pages and of sign-up privacy share them)."""

from __future__ import annotations

PASSWORD = "a-long-unusual-passphrase"


def signup_data(**overrides) -> dict:
    data = {
        "email": "ada@example.com",
        "name": "Ada Lovelace",
        "password1": PASSWORD,
        "password2": PASSWORD,
        "organization_name": "Engines",
    }
    return {**data, **overrides}
