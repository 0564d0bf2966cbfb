"""Vendor contacts: access to their own vendor's contracts, and the readings they submit for
a contract manager to verify."""
