"""Webhook signatures: a known answer, and verification of good, tampered, stale and malformed input."""

from __future__ import annotations

from simnet.webhooks.signing import compute_signature, signature_header, verify_signature

SECRET = "whsec_test_secret"
TIMESTAMP = 1_700_000_000
BODY = b'{"a":1}'
# printf '1700000000.{"a":1}' | openssl dgst -sha256 -hmac whsec_test_secret
KNOWN = "aecbc681fe3d2604c08ff8e880a0988d997a12367fcf9545e6a3b90c1dfc04b7"


def test_known_answer():
    assert compute_signature(SECRET, TIMESTAMP, BODY) == KNOWN
    assert signature_header(SECRET, TIMESTAMP, BODY) == f"t={TIMESTAMP},v1={KNOWN}"


def test_a_good_signature_verifies_within_tolerance():
    header = signature_header(SECRET, TIMESTAMP, BODY)
    assert verify_signature(SECRET, header, BODY, now=TIMESTAMP + 299)
    assert verify_signature(SECRET, header, BODY.decode(), now=TIMESTAMP - 10)  # str bodies too


def test_a_tampered_body_fails():
    header = signature_header(SECRET, TIMESTAMP, BODY)
    assert not verify_signature(SECRET, header, b'{"a":2}', now=TIMESTAMP)


def test_another_secret_fails():
    header = signature_header(SECRET, TIMESTAMP, BODY)
    assert not verify_signature("whsec_other", header, BODY, now=TIMESTAMP)


def test_an_old_or_future_timestamp_fails():
    header = signature_header(SECRET, TIMESTAMP, BODY)
    assert not verify_signature(SECRET, header, BODY, now=TIMESTAMP + 301)
    assert not verify_signature(SECRET, header, BODY, now=TIMESTAMP - 301)
    assert verify_signature(SECRET, header, BODY, tolerance=600, now=TIMESTAMP + 301)


def test_a_moved_timestamp_fails():
    """The timestamp is signed: replaying the signature with a fresh t= does not verify."""
    forged = f"t={TIMESTAMP + 100},v1={KNOWN}"
    assert not verify_signature(SECRET, forged, BODY, now=TIMESTAMP + 100)


def test_any_matching_v1_entry_is_enough():
    header = f"t={TIMESTAMP},v1={'0' * 64},v1={KNOWN}"
    assert verify_signature(SECRET, header, BODY, now=TIMESTAMP)


def test_malformed_headers_fail():
    for header in ["", "garbage", f"v1={KNOWN}", f"t={TIMESTAMP}", f"t=soon,v1={KNOWN}"]:
        assert not verify_signature(SECRET, header, BODY, now=TIMESTAMP)
