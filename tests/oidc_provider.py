"""A real OpenID Connect provider for the single sign-on tests: ``oidc-provider-mock`` run as its
own process (``python -m oidc_provider_mock``) on a free port, once per test session.

The provider signs its ID tokens with a key it publishes at its JWKS address, answers discovery
at /.well-known/openid-configuration, and takes its users' claims over HTTP
(``PUT /users/<sub>``): ``set_user`` gives a subject an email, ``email_verified`` and groups.
Its authorization page is a form; POSTing ``sub`` to it approves the sign-in as that subject
and redirects to the app's callback with a code (``approve``). It is started with
``--require-nonce`` (an authorization request without a nonce is refused). A second provider,
``expired_oidc_provider``, issues tokens that expired ten minutes before they were issued (a
negative token lifetime), to show that the app refuses them.
"""
import os
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

import pytest
import requests


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
        [sys.executable, "-m", "oidc_provider_mock", "--host", "127.0.0.1", "--port", str(port), *extra_args],
        stdout=subprocess.DEVNULL, stderr=log, env={**os.environ, "NO_COLOR": "1"},
    )
    deadline = time.monotonic() + 30
    while True:
        if process.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"the OpenID provider exited: {log.read().decode(errors='replace')}")
        try:
            if requests.get(f"{url}/.well-known/openid-configuration", timeout=1).status_code == 200:
                return Provider(url=url, process=process, log=log)
        except requests.ConnectionError:
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
    provider = start_provider("--require-nonce", "true")
    yield provider
    stop_provider(provider)


@pytest.fixture(scope="session")
def expired_oidc_provider():
    provider = start_provider("--require-nonce", "true", "--token-max-age", "-600")
    yield provider
    stop_provider(provider)
