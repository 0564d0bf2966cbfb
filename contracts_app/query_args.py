"""Parse filter values from a query string: a bad value is dropped and its name collected,
so list pages can say which filters they ignored instead of failing."""

from contracts_app.digits import whole_number

# Ids and page numbers above this cannot exist (the id columns are 32-bit integers).
MAX_ID = 2**31 - 1


def int_arg(args, key, problems, minimum=1):
    """A whole number in [minimum, MAX_ID], or None (empty or invalid; invalid is named)."""
    raw = args.get(key, "").strip()
    if not raw:
        return None
    try:
        value = whole_number(raw)  # ASCII digits only: int() would take "１２"
    except ValueError:
        problems.append(key)
        return None
    if not minimum <= value <= MAX_ID:
        problems.append(key)
        return None
    return value


def choice_arg(args, key, allowed, problems):
    """One of ``allowed``, or None (empty or invalid; invalid is named)."""
    raw = args.get(key, "").strip()
    if not raw:
        return None
    if raw not in allowed:
        problems.append(key)
        return None
    return raw
