"""The password rules, one function for every place a password is chosen: the user admin forms,
``create_user``/``update_user`` (and so ``flask users ...``), and a vendor contact's invitation.

A password must have at least ``MIN_PASSWORD_LENGTH`` characters, not be whitespace only, and
not be a commonly used password: ``common_passwords.txt`` (shipped with the project, compared
case-insensitively), a single repeated character, or a run of a keyboard/alphabet/digit sequence.
"""
import os
from functools import lru_cache

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 200

_LIST = os.path.join(os.path.dirname(os.path.abspath(__file__)), "common_passwords.txt")
_SEQUENCES = (
    "01234567890123456789", "98765432109876543210",
    "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz",
    "zyxwvutsrqponmlkjihgfedcbazyxwvutsrqponmlkjihgfedcba",
    "qwertyuiopasdfghjklzxcvbnm", "mnbvcxzlkjhgfdsapoiuytrewq",
    "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p", "1q2w3e4r5t6y7u8i9o0p", "q1w2e3r4t5y6u7i8o9p0",
    "qazwsxedcrfvtgbyhnujmikolp", "azertyuiopqsdfghjklmwxcvbn", "qwertzuiopasdfghjklyxcvbnm",
)


@lru_cache(maxsize=1)
def common_passwords():
    """The shipped list, lower-cased (blank lines and # comments skipped)."""
    with open(_LIST, encoding="utf-8") as handle:
        return frozenset(
            line.strip().lower() for line in handle if line.strip() and not line.lstrip().startswith("#")
        )


def is_common(password):
    lowered = password.strip().lower()
    if lowered in common_passwords():
        return True
    if len(set(lowered)) <= 1:
        return True  # "aaaaaaaaaaaa"
    if any(lowered in sequence for sequence in _SEQUENCES):
        return True  # "123456789012", "qwertyuiopas", "abcdefghijkl"
    # A common password written twice or with a run of digits after it: "passwordpassword",
    # "password123456", "iloveyou2026".
    stripped = lowered.rstrip("0123456789!@#$%^&*.?_-")
    if stripped != lowered and (stripped in common_passwords() or len(set(stripped)) <= 1 or not stripped):
        return True
    half = len(lowered) // 2
    if len(lowered) % 2 == 0 and lowered[:half] == lowered[half:] and (
        lowered[:half] in common_passwords() or len(set(lowered[:half])) <= 2
    ):
        return True
    return False


def password_problem(password):
    """What is wrong with a chosen password, as a message for the person choosing it, or None."""
    password = password or ""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Use a password of at least {MIN_PASSWORD_LENGTH} characters."
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"Use a password of at most {MAX_PASSWORD_LENGTH} characters."
    if not password.strip():
        return "A password cannot be only spaces."
    if is_common(password):
        return "This password is too common and easy to guess; choose another."
    return None
