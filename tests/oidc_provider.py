"""A real OpenID Connect provider for the single sign-on tests: ``oidc-provider-mock`` run as its
own process (``python -m tests.oidc_provider``, which serves the mock behind ``ProviderChecks``)
on a free port, once per test session.

The provider signs its ID tokens with a key it publishes at its JWKS address, answers discovery
at /.well-known/openid-configuration, and takes its users' claims over HTTP
(``PUT /users/<sub>``): ``set_user`` gives a subject an email, ``email_verified``, groups and any
other claim (Google's ``hd``). Its authorization page is a form; POSTing ``sub`` to it approves
the sign-in as that subject and redirects to the app's callback with a code (``approve``). It is
started with ``--require-nonce`` (an authorization request without a nonce is refused). A second
provider, ``expired_oidc_provider``, issues tokens that expired ten minutes before they were
issued (a negative token lifetime), to show that the app refuses them; a third,
``login_gov_like_provider``, behaves as Login.gov does where the mock does not: it names itself
with a trailing slash (``http://127.0.0.1:port/``) in its discovery document and tokens, and its
ID tokens say nothing about the person but the subject (the email, groups and the rest are at
its UserInfo endpoint).

The mock takes any client and checks no PKCE verifier, so ``ProviderChecks`` (in the provider's
process, in front of the mock) makes the checks a real provider makes, and records what the
client sent for the tests to read (``Provider.requests``):

- PKCE (RFC 7636): an authorization request without an S256 ``code_challenge`` is refused, and
  the token request for a code must carry the ``code_verifier`` whose SHA-256 is that code's
  challenge, or it is refused (``invalid_grant``).
- private_key_jwt (RFC 7523, OpenID Connect Core §9): a client id registered with
  ``require_private_key_jwt`` must authenticate with a client assertion signed by one of the
  given public keys, with ``iss`` and ``sub`` the client id, ``aud`` the token endpoint, an
  ``exp`` in the next five minutes and a ``jti`` never seen before, and with no secret besides;
  anything else is refused (``invalid_client``). The mock, which takes any secret, is then handed
  the request with a placeholder secret in place of the assertion.
"""
import argparse
import base64
import hashlib
import io
import json
import logging
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, parse_qsl, quote, unquote, urlencode, urlsplit

import pytest
import requests

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
# The longest a client assertion may live (Login.gov: "a short period ... such as 5 minutes").
MAX_ASSERTION_SECONDS = 300
_PKCE_VALUE = re.compile(r"[A-Za-z0-9\-._~]{43,128}")  # RFC 7636 §4.1 (verifier) and §4.2 (S256 challenge)
_ROOT = Path(__file__).resolve().parent.parent


def s256(verifier):
    """The S256 code challenge of a PKCE ``verifier`` (RFC 7636 §4.2)."""
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii")).digest()).rstrip(b"=").decode("ascii")


# --- the provider process ------------------------------------------------------------------------

class _Refused(Exception):
    def __init__(self, status, error, description):
        super().__init__(description)
        self.status, self.error, self.description = status, error, description


class ProviderChecks:
    """WSGI middleware in front of the mock provider: the PKCE and private_key_jwt checks (see the
    module's docstring), and a record of every authorization and token request."""

    def __init__(self, app, issuer_with_slash=False):
        self.app = app
        self.issuer_with_slash = issuer_with_slash
        self.lock = threading.Lock()
        self.challenges = {}  # authorization code -> the code_challenge of its authorization request
        self.client_keys = {}  # client id -> the public keys its assertions must verify with
        self.seen_jtis = set()
        self.records = []

    def __call__(self, environ, start_response):
        path, method = environ.get("PATH_INFO", ""), environ["REQUEST_METHOD"]
        if path == "/_test/requests":
            with self.lock:
                if method == "DELETE":
                    self.records.clear()
                return _json(start_response, 200, list(self.records))
        if path.startswith("/_test/clients/") and method == "PUT":
            from joserfc.jwk import KeySet

            keys = KeySet.import_key_set(json.loads(_read_body(environ)))
            with self.lock:
                self.client_keys[unquote(path.removeprefix("/_test/clients/"))] = keys
            return _json(start_response, 200, {})
        if path == "/.well-known/openid-configuration" and self.issuer_with_slash:
            return self._discovery_with_slash(environ, start_response)
        try:
            if path == "/oauth2/authorize":
                return self._authorize(environ, start_response)
            if path == "/oauth2/token" and method == "POST":
                return self._token(environ, start_response)
        except _Refused as refusal:
            return _json(start_response, refusal.status, {"error": refusal.error,
                                                          "error_description": refusal.description})
        return self.app(environ, start_response)

    def _record(self, record):
        with self.lock:
            self.records.append(record)

    def _discovery_with_slash(self, environ, start_response):
        captured = {}

        def keep(status, headers, exc_info=None):
            captured["status"] = status

        document = json.loads(b"".join(self.app(environ, keep)))
        document["issuer"] += "/"
        return _json(start_response, int(captured["status"].split()[0]), document)

    def _authorize(self, environ, start_response):
        params = dict(parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True))
        self._record({"endpoint": "authorize", "method": environ["REQUEST_METHOD"], "params": params})
        challenge = params.get("code_challenge", "")
        if params.get("code_challenge_method") != "S256" or not _PKCE_VALUE.fullmatch(challenge):
            raise _Refused(400, "invalid_request", "PKCE is required: code_challenge with code_challenge_method=S256")

        def remember_the_code(status, headers, exc_info=None):
            location = dict(headers).get("Location", "")
            for code in parse_qs(urlsplit(location).query).get("code", []):
                with self.lock:
                    self.challenges[code] = challenge
            return start_response(status, headers, exc_info)

        return self.app(environ, remember_the_code)

    def _token(self, environ, start_response):
        body = _read_body(environ)
        form = dict(parse_qsl(body.decode(), keep_blank_values=True))
        record = {"endpoint": "token", "form": form, "authorization": environ.get("HTTP_AUTHORIZATION")}
        self._record(record)
        try:
            self._check_pkce(form)
            client_id = self._check_client(environ, form, record)
        except _Refused as refusal:
            record["refused"] = refusal.description
            raise
        if record["client_auth"] == "private_key_jwt":
            # Authenticated here; the mock (which takes any secret) gets a placeholder one.
            form = {name: value for name, value in form.items() if not name.startswith("client_assertion")}
            form.update(client_id=client_id, client_secret="authenticated-by-private-key-jwt")
            body = urlencode(form).encode()
        environ["wsgi.input"], environ["CONTENT_LENGTH"] = io.BytesIO(body), str(len(body))
        return self.app(environ, start_response)

    def _check_pkce(self, form):
        if form.get("grant_type") != "authorization_code":
            return
        with self.lock:
            challenge = self.challenges.pop(form.get("code", ""), None)
        if challenge is None:
            return  # not a code issued here: the mock refuses it
        verifier = form.get("code_verifier", "")
        if not _PKCE_VALUE.fullmatch(verifier) or s256(verifier) != challenge:
            raise _Refused(400, "invalid_grant", "code_verifier does not match the code_challenge")

    def _check_client(self, environ, form, record):
        """The client id, authenticated; sets record["client_auth"] (and ["assertion"])."""
        from joserfc import jws, jwt
        from joserfc.errors import JoseError

        basic_id = None
        authorization = environ.get("HTTP_AUTHORIZATION") or ""
        if authorization.lower().startswith("basic "):
            basic_id = unquote(base64.b64decode(authorization[6:]).decode().partition(":")[0])
        assertion = form.get("client_assertion")
        if assertion:
            record["client_auth"] = "private_key_jwt"
        elif basic_id is not None:
            record["client_auth"] = "client_secret_basic"
        elif "client_secret" in form:
            record["client_auth"] = "client_secret_post"
        else:
            record["client_auth"] = "none"
        if not assertion:
            client_id = basic_id or form.get("client_id")
            if client_id in self.client_keys:
                raise _Refused(401, "invalid_client", f"{client_id} authenticates with private_key_jwt")
            return client_id
        if basic_id is not None or "client_secret" in form:
            raise _Refused(401, "invalid_client", "more than one client authentication method")  # RFC 6749 §2.3
        if form.get("client_assertion_type") != ASSERTION_TYPE:
            raise _Refused(401, "invalid_client", "client_assertion_type is not jwt-bearer")
        try:
            unverified = json.loads(jws.extract_compact(assertion.encode()).payload)
        except (JoseError, ValueError):
            raise _Refused(401, "invalid_client", "the client assertion is not a JWS")
        client_id = unverified.get("sub") if isinstance(unverified, dict) else None
        keys = self.client_keys.get(client_id)
        if keys is None:
            raise _Refused(401, "invalid_client", f"{client_id!r} has no key registered for private_key_jwt")
        now = int(time.time())
        token_endpoint = f"{environ['wsgi.url_scheme']}://{environ['HTTP_HOST']}/oauth2/token"
        try:
            token = jwt.decode(assertion, keys, algorithms=["RS256", "ES256", "ES384", "ES512"])
            jwt.JWTClaimsRegistry(
                now=now, iss={"essential": True, "value": client_id}, sub={"essential": True, "value": client_id},
                aud={"essential": True, "value": token_endpoint}, exp={"essential": True},
                jti={"essential": True},
            ).validate(token.claims)
        except JoseError as error:
            raise _Refused(401, "invalid_client", f"the client assertion does not verify: {error}")
        record["assertion"] = {"header": dict(token.header), "claims": dict(token.claims)}
        if token.claims["exp"] > now + MAX_ASSERTION_SECONDS:
            raise _Refused(401, "invalid_client", "the client assertion lives too long")
        with self.lock:
            if token.claims["jti"] in self.seen_jtis:
                raise _Refused(401, "invalid_client", "the client assertion's jti was used before")
            self.seen_jtis.add(token.claims["jti"])
        if form.get("client_id", client_id) != client_id:
            raise _Refused(401, "invalid_client", "client_id and the assertion's sub differ")
        return client_id


def _read_body(environ):
    return environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))


def _json(start_response, status, body):
    data = json.dumps(body).encode()
    reason = {200: "OK", 400: "Bad Request", 401: "Unauthorized"}[status]
    start_response(f"{status} {reason}", [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]


def main(argv=None):
    """Serve the mock provider behind ProviderChecks (what ``start_provider`` runs)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--require-nonce", action="store_true")
    parser.add_argument("--token-max-age", type=int, default=3600, help="seconds (negative: issued expired)")
    parser.add_argument("--like-login-gov", action="store_true",
                        help="an issuer with a trailing slash; ID tokens with the subject only")
    args = parser.parse_args(argv)
    os.environ["AUTHLIB_INSECURE_TRANSPORT"] = "1"  # plain HTTP on the loopback
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    import flask
    import oidc_provider_mock
    import werkzeug.serving
    from oidc_provider_mock import _app

    if args.like_login_gov:
        # The mock's own ways changed for this process alone (the only provider it serves): its
        # issuer is its address without the slash, and its ID tokens carry every claim of the user.
        without_slash = _app.OpenIDCode.get_jwt_config
        _app.OpenIDCode.get_jwt_config = lambda self, grant, client=None: {
            **without_slash(self, grant, client), "iss": flask.request.host_url}
        _app.OpenIDCode.generate_user_info = lambda self, user, scope: {"sub": user.sub}
    provider = oidc_provider_mock.app(require_nonce=args.require_nonce,
                                      access_token_max_age=timedelta(seconds=args.token_max_age))
    checks = ProviderChecks(provider, issuer_with_slash=args.like_login_gov)
    werkzeug.serving.make_server(args.host, args.port, checks, threaded=True).serve_forever()


# --- the tests' side -----------------------------------------------------------------------------

@dataclass
class Provider:
    url: str
    process: subprocess.Popen
    log: object  # the process's stderr (a file: a pipe nobody reads would fill and stall it)

    def set_user(self, sub, email=None, groups=(), email_verified=True, name=None, **claims):
        """Give the provider's user ``sub`` these claims (replacing what it had)."""
        body = {"email": email or sub, "groups": list(groups), "name": name or sub.split("@")[0].title(), **claims}
        if email_verified is not None:
            body["email_verified"] = email_verified
        response = requests.put(f"{self.url}/users/{quote(sub, safe='')}", json=body, timeout=10)
        assert response.status_code == 204, response.text

    def approve(self, authorize_url, sub):
        """Approve the authorization request at ``authorize_url`` as ``sub`` (what a person does
        on the provider's page); returns the app's callback path with its query (code, state)."""
        response = requests.post(authorize_url, data={"sub": sub}, allow_redirects=False, timeout=10)
        assert response.status_code == 302, response.text
        callback = urlsplit(response.headers["Location"])
        return f"{callback.path}?{callback.query}"

    def require_private_key_jwt(self, client_id, public_keys):
        """From now on, ``client_id`` must authenticate with an assertion signed by one of
        ``public_keys`` (a JWKS dict)."""
        response = requests.put(f"{self.url}/_test/clients/{quote(client_id, safe='')}", json=public_keys, timeout=10)
        assert response.status_code == 200, response.text

    def received(self, endpoint):
        """The authorization ("authorize") or token ("token") requests received since
        ``forget_requests``, oldest first."""
        response = requests.get(f"{self.url}/_test/requests", timeout=10)
        return [record for record in response.json() if record["endpoint"] == endpoint]

    def forget_requests(self):
        requests.delete(f"{self.url}/_test/requests", timeout=10).raise_for_status()


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_provider(*extra_args):
    """Start a provider process and wait (up to 30 s) until it answers discovery."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = tempfile.TemporaryFile()
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.oidc_provider", "--host", "127.0.0.1", "--port", str(port), *extra_args],
        stdout=subprocess.DEVNULL, stderr=log, cwd=_ROOT,
        env={**os.environ, "NO_COLOR": "1", "PYTHONPATH": os.pathsep.join(filter(None, [str(_ROOT), os.environ.get("PYTHONPATH")]))},
    )
    deadline = time.monotonic() + 30
    while True:
        if process.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"the OpenID provider exited: {log.read().decode(errors='replace')}")
        try:
            if requests.get(f"{url}/.well-known/openid-configuration", timeout=1).status_code == 200:
                return Provider(url=url, process=process, log=log)
        except (requests.ConnectionError, requests.Timeout):
            pass
        if time.monotonic() > deadline:
            process.kill()
            raise RuntimeError("the OpenID provider did not start within 30 s")
        time.sleep(0.1)


def stop_provider(provider):
    provider.process.terminate()
    try:
        provider.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        provider.process.kill()
        provider.process.wait()
    provider.log.close()


@pytest.fixture(scope="session")
def oidc_provider():
    provider = start_provider("--require-nonce")
    yield provider
    stop_provider(provider)


@pytest.fixture(scope="session")
def expired_oidc_provider():
    provider = start_provider("--require-nonce", "--token-max-age", "-600")
    yield provider
    stop_provider(provider)


@pytest.fixture(scope="session")
def login_gov_like_provider():
    provider = start_provider("--require-nonce", "--like-login-gov")
    yield provider
    stop_provider(provider)


if __name__ == "__main__":
    main()
