"""The Kubernetes API over HTTPS: the CA and the server certificate are made once in the data
directory and reused (a server certificate near its end is signed anew by the same CA), the key
files are the owner's only, the endpoint string is one Twisted parses, and a Daphne listening
with it answers ``/version`` over HTTPS to a client that trusts only the kubeconfig's CA.

``tls_daphne_server`` (a Daphne child serving CloudLab with the ssl endpoint, as
``tests.helpers.daphne_server`` does with tcp) is used by tests/test_kubectl.py too."""

from __future__ import annotations

import json
import multiprocessing
import socket
import ssl
import stat
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509

from cloudlab.kubeapi import tls


class TlsDaphneProcess(multiprocessing.Process):
    """Daphne in a forked child listening on one ssl endpoint; the port it got comes back."""

    def __init__(self, get_application: Callable[[], Any], files: tls.TlsFiles) -> None:
        super().__init__(daemon=True)
        self.get_application = get_application
        self.files = files
        self.port = multiprocessing.Value("i", 0)
        self.ready = multiprocessing.Event()

    def run(self) -> None:
        from daphne.testing import _reinstall_reactor

        _reinstall_reactor()  # before daphne.server binds the reactor it imports
        from daphne.server import Server
        from twisted.internet import reactor

        server = Server(
            application=self.get_application(),
            endpoints=[tls.daphne_endpoint(0, self.files)],
            signal_handlers=False,
        )

        def resolve_port() -> None:
            if server.listening_addresses:
                self.port.value = server.listening_addresses[0][1]
                self.ready.set()
            else:
                reactor.callLater(0.1, resolve_port)

        reactor.callLater(0.1, resolve_port)
        server.run()


@contextmanager
def tls_daphne_server(files: tls.TlsFiles) -> Iterator[str]:
    """CloudLab's ASGI application over HTTPS on a free loopback port; yields its base URL. Call
    with the database unblocked (our connections are closed before the fork)."""
    from channels.testing.live import make_application
    from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
    from django.db import connections

    connections.close_all()
    process = TlsDaphneProcess(partial(make_application, static_wrapper=ASGIStaticFilesHandler), files)
    process.start()
    while not process.ready.wait(timeout=1):
        if not process.is_alive():
            raise RuntimeError("Daphne with TLS did not start")
    try:
        yield f"https://127.0.0.1:{process.port.value}"
    finally:
        process.terminate()
        process.join(10)


def test_the_certificates_are_made_once_and_reused(tmp_path: Path) -> None:
    files = tls.ensure_certificates(tmp_path)
    first = {p: p.read_bytes() for p in (files.ca_cert, files.server_cert, files.server_key)}
    again = tls.ensure_certificates(tmp_path)
    assert again == files and {p: p.read_bytes() for p in first} == first
    for key in (files.server_key, tmp_path / "kube-tls" / "ca.key"):
        assert stat.S_IMODE(key.stat().st_mode) == 0o600
    ca = x509.load_pem_x509_certificate(files.ca_pem())
    server = x509.load_pem_x509_certificate(files.server_cert.read_bytes())
    server.verify_directly_issued_by(ca)
    names = server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == ["localhost"]
    assert {str(a) for a in names.get_values_for_type(x509.IPAddress)} == {"127.0.0.1", "::1"}
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca


def test_a_server_certificate_near_its_end_is_signed_anew_by_the_same_ca(tmp_path, monkeypatch) -> None:
    files = tls.ensure_certificates(tmp_path)
    ca, old = files.ca_pem(), files.server_cert.read_bytes()
    monkeypatch.setattr(tls, "RENEW_BEFORE", tls.datetime.timedelta(days=tls.SERVER_DAYS + 1))
    tls.ensure_certificates(tmp_path)
    assert files.ca_pem() == ca and files.server_cert.read_bytes() != old
    x509.load_pem_x509_certificate(files.server_cert.read_bytes()).verify_directly_issued_by(
        x509.load_pem_x509_certificate(ca)
    )


def test_a_lost_ca_makes_both_again(tmp_path) -> None:
    files = tls.ensure_certificates(tmp_path)
    old_server = files.server_cert.read_bytes()
    files.ca_cert.unlink()
    tls.ensure_certificates(tmp_path)
    assert files.server_cert.read_bytes() != old_server
    x509.load_pem_x509_certificate(files.server_cert.read_bytes()).verify_directly_issued_by(
        x509.load_pem_x509_certificate(files.ca_pem())
    )


def test_the_endpoint_is_twisteds_ssl_on_loopback_with_the_files(tmp_path) -> None:
    from twisted.internet.endpoints import serverFromString
    from twisted.internet.testing import MemoryReactor

    folder = tmp_path / "odd:name"  # a colon in the path is escaped
    files = tls.ensure_certificates(folder)
    endpoint_text = tls.daphne_endpoint(6443, files)
    assert endpoint_text.startswith("ssl:port=6443:interface=127.0.0.1:privateKey=")
    reactor = MemoryReactor()
    serverFromString(reactor, endpoint_text).listen(object())
    port, _factory, _context, _backlog, interface = reactor.sslServers[0]
    assert (port, interface) == (6443, "127.0.0.1")


def test_the_kube_port_comes_from_the_environment(monkeypatch) -> None:
    monkeypatch.delenv("CLOUDLAB_KUBE_PORT", raising=False)
    assert tls.kube_port() == 6443
    monkeypatch.setenv("CLOUDLAB_KUBE_PORT", "7443")
    assert tls.kube_port() == 7443
    monkeypatch.setenv("CLOUDLAB_KUBE_PORT", "https")
    from cloudlab.env import ConfigError

    with pytest.raises(ConfigError):
        tls.kube_port()


def test_the_run_command_leaves_the_api_out_when_its_port_is_taken() -> None:
    from cloudlab.__main__ import _port_free

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        assert not _port_free(taken.getsockname()[1])
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free = probe.getsockname()[1]
    assert _port_free(free)


@pytest.fixture(scope="module")
def https_server(django_db_setup: None, django_db_blocker: Any, tmp_path_factory) -> Iterator[tuple[str, Path]]:
    files = tls.ensure_certificates(tmp_path_factory.mktemp("data"))
    with django_db_blocker.unblock(), tls_daphne_server(files) as url:
        yield url, files.ca_cert


def _get(url: str, context: ssl.SSLContext) -> tuple[int, dict[str, Any]]:
    try:
        with urllib.request.urlopen(url, context=context, timeout=10) as response:  # noqa: S310 (our https)
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.mark.django_db(transaction=True)
def test_the_tls_endpoint_answers_version_over_https_to_a_client_trusting_the_ca(https_server) -> None:
    url, ca = https_server
    trusting = ssl.create_default_context(cafile=str(ca))
    status, body = _get(f"{url}/kubernetes/1/version?timeout=32s", trusting)
    # the dispatcher's first request (no token): it picks kubectl v1.32 by the server's minor
    assert status == 200 and (body["major"], body["minor"]) == ("1", "32"), body
    port = url.rsplit(":", 1)[1]
    status, body = _get(f"https://localhost:{port}/kubernetes/1/api", trusting)  # the name is in the cert
    assert (status, body["kind"], body["reason"]) == (401, "Status", "Unauthorized")
    with pytest.raises(urllib.error.URLError) as refused:
        _get(f"{url}/kubernetes/1/version", ssl.create_default_context())  # the system's CAs only
    assert "CERTIFICATE_VERIFY_FAILED" in str(refused.value)
