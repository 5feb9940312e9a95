"""Ed25519 keys and signatures over a pack's manifest.

The manifest lists the SHA-256 and size of every file in the pack, so one signature over
its exact bytes covers the whole pack. Public keys travel as one line of text
(``ed25519 <base64> <label>``) that an operator can read, compare and paste.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ..core.errors import KioskError
from ..core.vocabulary import SIGNATURE_ALGORITHM

ALGORITHM = SIGNATURE_ALGORITHM


class KeyFileError(KioskError):
    """A key file is missing or malformed."""


@dataclass(frozen=True)
class PublicKey:
    raw: bytes
    label: str = ""

    @property
    def key_id(self) -> str:
        return hashlib.sha256(self.raw).hexdigest()[:16]

    def to_line(self) -> str:
        return f"{ALGORITHM} {base64.b64encode(self.raw).decode()} {self.label}".rstrip() + "\n"

    def verify(self, signature: bytes, message: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(self.raw).verify(signature, message)
        except (InvalidSignature, ValueError):
            return False
        return True

    @classmethod
    def from_line(cls, line: str) -> PublicKey:
        parts = line.strip().split(maxsplit=2)
        if len(parts) < 2 or parts[0] != ALGORITHM:
            raise KeyFileError("not an ed25519 public key line (expected 'ed25519 <base64> [label]')")
        try:
            raw = base64.b64decode(parts[1], validate=True)
        except (binascii.Error, ValueError):
            raise KeyFileError("public key is not valid base64") from None
        if len(raw) != 32:
            raise KeyFileError("an ed25519 public key is 32 bytes")
        return cls(raw, parts[2] if len(parts) > 2 else "")

    @classmethod
    def load(cls, path: Path) -> PublicKey:
        try:
            return cls.from_line(Path(path).read_text(encoding="utf-8"))
        except OSError as exc:
            raise KeyFileError(f"cannot read public key {path}: {exc.strerror}") from None
        except UnicodeDecodeError:
            raise KeyFileError(f"{path} is not a public key file") from None


@dataclass(frozen=True)
class SigningKey:
    private: Ed25519PrivateKey
    label: str = ""

    @property
    def public(self) -> PublicKey:
        raw = self.private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return PublicKey(raw, self.label)

    def sign(self, message: bytes) -> bytes:
        return self.private.sign(message)

    @classmethod
    def generate(cls, label: str = "") -> SigningKey:
        return cls(Ed25519PrivateKey.generate(), label)

    def save(self, private_path: Path, public_path: Path) -> None:
        pem = self.private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        private_path = Path(private_path)
        fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(pem)
        Path(public_path).write_text(self.public.to_line(), encoding="utf-8")

    @classmethod
    def load(cls, path: Path, label: str = "") -> SigningKey:
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise KeyFileError(f"cannot read signing key {path}: {exc.strerror}") from None
        try:
            key = serialization.load_pem_private_key(data, password=None)
        except (ValueError, TypeError):
            raise KeyFileError(f"{path} is not an unencrypted PEM private key") from None
        if not isinstance(key, Ed25519PrivateKey):
            raise KeyFileError(f"{path} is not an ed25519 key")
        return cls(key, label or Path(path).stem)
