"""Amendments: the dated, reasoned and approved changes to a contract after it became active."""
