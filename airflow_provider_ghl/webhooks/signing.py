"""Signing webhook deliveries the way HighLevel does, for tests, the sandbox and benchmarks.

::

    from airflow_provider_ghl.webhooks.signing import new_private_key, public_key_b64, sign

    key = new_private_key()
    os.environ["AIRFLOW__GHL__WEBHOOK_PUBLIC_KEY"] = public_key_b64(key)   # base64 of the raw 32-byte key
    body = json.dumps({"type": "ContactCreate", "locationId": "...", "webhookId": "...", "timestamp": "..."}).encode()
    httpx.post(url, content=body, headers={"x-ghl-signature": sign(body, key), "content-type": "application/json"})

Sign the exact bytes you send. Only the private key signs; never log it.
"""

from __future__ import annotations

import base64

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey


def new_private_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def private_key_from_b64(seed_b64: str) -> Ed25519PrivateKey:
    """An Ed25519 private key from base64 of its raw 32-byte seed (what ``private_key_b64`` gives)."""
    return Ed25519PrivateKey.from_private_bytes(base64.b64decode(seed_b64))


def private_key_b64(key: Ed25519PrivateKey) -> str:
    raw = key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())
    return base64.b64encode(raw).decode()


def public_key_b64(key: Ed25519PrivateKey) -> str:
    """The public key as base64 of its raw 32 bytes: a valid ``[ghl] webhook_public_key``."""
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode()


def public_key_pem(key: Ed25519PrivateKey) -> str:
    """The public key as PEM (SubjectPublicKeyInfo): also a valid ``[ghl] webhook_public_key``."""
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def sign(body: bytes, key: Ed25519PrivateKey | str) -> str:
    """The ``x-ghl-signature`` header for ``body``: base64 Ed25519 signature (``key``: a key or its base64 seed)."""
    private = private_key_from_b64(key) if isinstance(key, str) else key
    return base64.b64encode(private.sign(body)).decode()


def new_rsa_private_key() -> rsa.RSAPrivateKey:
    """A test RSA key (HighLevel's legacy private key is HighLevel's): for the ``x-wh-signature`` path."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def rsa_public_key_pem(key: rsa.RSAPrivateKey) -> str:
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def sign_rsa(body: bytes, key: rsa.RSAPrivateKey) -> str:
    """The legacy ``x-wh-signature`` header: base64 RSA-SHA256 PKCS#1 v1.5 over ``body``."""
    return base64.b64encode(key.sign(body, padding.PKCS1v15(), hashes.SHA256())).decode()
