"""Secrets: one-time tokens stored as hashes, and customer credentials encrypted at rest.

Customer credentials (provider keys, bearer tokens for importers) are encrypted with a
key derived from FIELD_ENCRYPTION_KEY (or SECRET_KEY) *and the organization id*, so a
ciphertext copied into another organization's row does not decrypt.
"""

from __future__ import annotations

import base64
import hashlib
import secrets as _secrets

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings


def new_token(prefix: str) -> tuple[str, str]:
    """A fresh secret ``<prefix>_<random>`` and its hash; show the secret once, keep the hash."""
    raw = f"{prefix}_{_secrets.token_urlsafe(32)}"
    return raw, hash_token(raw)


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def _fernet(organization_id: int) -> Fernet:
    master = (settings.FIELD_ENCRYPTION_KEY or settings.SECRET_KEY).encode("utf-8")
    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"simnet-secrets", info=f"org:{organization_id}".encode()
    ).derive(master)
    return Fernet(base64.urlsafe_b64encode(key))


def encrypt_for(organization_id: int, plaintext: str) -> str:
    return _fernet(organization_id).encrypt(plaintext.encode("utf-8")).decode("ascii")


class SecretUnreadable(Exception):
    """The ciphertext belongs to another organization or another key."""


def decrypt_for(organization_id: int, ciphertext: str) -> str:
    try:
        return _fernet(organization_id).decrypt(ciphertext.encode("ascii")).decode("utf-8")
    except InvalidToken as exc:
        raise SecretUnreadable("stored secret cannot be decrypted for this organization") from exc


def mask(secret: str) -> str:
    """What a page may show of a secret: its last four characters."""
    return f"••••{secret[-4:]}" if len(secret) > 8 else "••••"
