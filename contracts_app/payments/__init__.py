"""Payments: terms, rules and statements computed from the readings."""
