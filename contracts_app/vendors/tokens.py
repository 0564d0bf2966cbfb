"""Invitation tokens: a random secret in the emailed link, only its SHA-256 digest stored."""
import hashlib
import secrets


def new_token():
    return secrets.token_urlsafe(32)


def hash_token(token):
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
