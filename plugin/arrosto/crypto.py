"""Secrets at rest: Fernet keys derived from ``ARROSTO_SECRET_KEY``, rotated with MultiFernet.

Each comma-separated secret yields one Fernet key (HKDF-SHA256), so any long random string works.
The first key encrypts; every key decrypts. Rotation: ``ARROSTO_SECRET_KEY=new,old``, then
``arrosto db rotate-secrets`` re-encrypts every stored secret with the new key, then drop ``old``.
"""
from __future__ import annotations

import base64
import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from .errors import ConfigError

_keyring: MultiFernet | None = None


def derive_key(secret: str, purpose: str, length: int = 32) -> bytes:
    """A key for one purpose ("fernet", "flask-session", ...) derived from one secret."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=length, salt=b"arrosto", info=purpose.encode())
    return hkdf.derive(secret.encode())


def configure(secrets: list[str]) -> None:
    """Install the keyring used by :class:`arrosto.models.EncryptedText` columns."""
    global _keyring
    fernets = [Fernet(base64.urlsafe_b64encode(derive_key(s, "fernet"))) for s in secrets]
    _keyring = MultiFernet(fernets)


def keyring() -> MultiFernet:
    if _keyring is None:
        raise ConfigError("ARROSTO_SECRET_KEY: no encryption key configured (create_app sets it)")
    return _keyring


def encrypt(plain: str) -> str:
    return keyring().encrypt(plain.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str:
    try:
        return keyring().decrypt(token.encode("ascii")).decode("utf-8")
    except InvalidToken:
        raise ConfigError(
            "ARROSTO_SECRET_KEY: a stored secret cannot be decrypted with the configured keys "
            "(was the key changed without keeping the old one after a comma?)") from None


def rotate(token: str) -> str:
    """Re-encrypt a stored value with the newest key."""
    return keyring().rotate(token.encode("ascii")).decode("ascii")


def token_digest(token: str) -> str:
    """A stable digest for looking up one-time tokens without storing them."""
    return hashlib.sha256(token.encode()).hexdigest()


def constant_time_equal(a: str | bytes, b: str | bytes) -> bool:
    a_b = a.encode() if isinstance(a, str) else a
    b_b = b.encode() if isinstance(b, str) else b
    return hmac.compare_digest(a_b, b_b)
