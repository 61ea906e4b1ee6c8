"""Secrets: hashed tokens, per-organization encryption, and redaction from logs."""

from __future__ import annotations

import logging

import pytest

from simnet.logging_filters import RedactSecrets, redact
from simnet.tenancy.secrets import SecretUnreadable, decrypt_for, encrypt_for, hash_token, mask, new_token


def test_new_token_returns_secret_and_its_hash():
    raw, hashed = new_token("snt")
    assert raw.startswith("snt_") and len(raw) > 40
    assert hashed == hash_token(raw) and raw not in hashed


def test_ciphertext_is_bound_to_its_organization():
    ciphertext = encrypt_for(1, "sk-ant-secret-value")
    assert "sk-ant" not in ciphertext
    assert decrypt_for(1, ciphertext) == "sk-ant-secret-value"
    with pytest.raises(SecretUnreadable):
        decrypt_for(2, ciphertext)


def test_mask_shows_only_the_tail():
    assert mask("sk-ant-0123456789abcd") == "••••abcd"


@pytest.mark.parametrize(
    "line, secret",
    [
        ("Authorization: Bearer snt_abcdefghijklmnop1234", "snt_abcdefghijklmnop1234"),
        ("calling with api_key=sk-ant-api03-XYZXYZXYZXYZ", "sk-ant-api03-XYZXYZXYZXYZ"),
        ('{"password": "hunter2hunter2"}', "hunter2hunter2"),
        ("token snt_zzzzzzzzzzzzzzzzzzzz leaked", "snt_zzzzzzzzzzzzzzzzzzzz"),
    ],
)
def test_redaction_removes_secrets(line, secret):
    assert secret not in redact(line)


def test_filter_rewrites_records_before_handlers():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "key is %s", ("snt_abcdefghijklmnopqrst",), None)
    RedactSecrets().filter(record)
    assert "snt_abcdefghijklmnopqrst" not in record.getMessage()
