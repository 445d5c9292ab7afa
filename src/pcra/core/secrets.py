"""Secrets encrypted at rest (DESIGN §5): repository passwords, API tokens.

Values are encrypted with Fernet (AES-128-CBC + HMAC-SHA256, from the ``cryptography``
package) under a key that never enters the database: the file ``PCRA_SECRETS_KEY_FILE``
(default ``PCRA_DATA_DIR/keys/secrets.key``, created on first use, mode 600). A database dump
alone therefore reveals no secret. Several keys may be listed in the file, one per line, the
first encrypting and all decrypting, so that a key can be rotated (`rotate_keys`).

A wrong key, a truncated or altered token gives :class:`SecretError` naming the problem; it
never returns garbage.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


class SecretError(RuntimeError):
    """A secret cannot be encrypted or decrypted; the message says why."""


def token_digest(token: str) -> str:
    """What is stored of a bearer token (metrics, agents): its SHA-256, never the token."""
    import hashlib

    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def key_file() -> Path:
    configured = getattr(settings, "PCRA_SECRETS_KEY_FILE", None)
    return Path(configured) if configured else Path(settings.DATA_DIR) / "keys" / "secrets.key"


def _read_keys(path: Path) -> list[bytes]:
    try:
        lines = path.read_text().split()
    except OSError as exc:
        raise SecretError(f"cannot read the secrets key file {path}: {exc.strerror}") from exc
    keys = [line.encode() for line in lines if line.strip()]
    if not keys:
        raise SecretError(f"the secrets key file {path} holds no key")
    return keys


def _ensure_key_file(path: Path) -> None:
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(Fernet.generate_key().decode() + "\n")


def _cipher() -> MultiFernet:
    path = key_file()
    _ensure_key_file(path)
    try:
        return MultiFernet([Fernet(key) for key in _read_keys(path)])
    except ValueError as exc:
        raise SecretError(f"the secrets key file {path} holds an invalid key") from exc


def encrypt(value: str) -> str:
    """The encrypted form of ``value`` (ASCII, safe to store in a text column)."""
    return _cipher().encrypt(value.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str:
    """The clear value of a token made by :func:`encrypt`."""
    try:
        return _cipher().decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeError, ValueError) as exc:
        raise SecretError(
            f"a stored secret cannot be decrypted with the key in {key_file()}: wrong key, or "
            "the stored value was altered") from exc


def rotate_keys() -> Fernet:
    """Put a new key first in the key file (older keys still decrypt); re-encrypt stored
    secrets afterwards with :func:`reencrypt`."""
    path = key_file()
    _ensure_key_file(path)
    keys = _read_keys(path)
    new = Fernet.generate_key()
    path.write_text("\n".join(k.decode() for k in [new, *keys]) + "\n")
    return Fernet(new)


def reencrypt(token: str) -> str:
    """The same secret encrypted under the current (first) key."""
    try:
        return _cipher().rotate(token.encode("ascii")).decode("ascii")
    except (InvalidToken, ValueError) as exc:
        raise SecretError("a stored secret cannot be re-encrypted: wrong key or altered") from exc
