"""The security headers every response carries (contracts_app/headers.py), for the tests that
walk the routes to check."""

# Each header and what it must say; the policy is checked directive by directive.
EXPECTED_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}
EXPECTED_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def policy_of(response):
    """The response's Content-Security-Policy as {directive: sources}."""
    header = response.headers.get("Content-Security-Policy", "")
    directives = {}
    for part in header.split(";"):
        name, _, sources = part.strip().partition(" ")
        if name:
            directives[name] = sources.strip()
    return directives


def security_header_problems(response):
    """What is missing or wrong in the response's security headers ([] when all is well)."""
    problems = [
        f"{name}: {response.headers.get(name)!r}, not {value!r}"
        for name, value in EXPECTED_HEADERS.items() if response.headers.get(name) != value
    ]
    policy = policy_of(response)
    problems += [
        f"CSP {name}: {policy.get(name)!r}, not {value!r}" for name, value in EXPECTED_POLICY.items() if policy.get(name) != value
    ]
    if "unsafe-inline" in response.headers.get("Content-Security-Policy", ""):
        problems.append("CSP allows 'unsafe-inline'")
    return problems


def assert_security_headers(response, what=""):
    problems = security_header_problems(response)
    assert not problems, f"{what or response.request.path} ({response.status_code}): " + "; ".join(problems)
