"""The certificates of the Kubernetes API's HTTPS endpoint (kubectl sends its bearer token only
over TLS, semantics §7.7).

At first run CloudLab makes a certificate authority of its own and, signed by it, a server
certificate for ``127.0.0.1``, ``::1`` and ``localhost``, in ``<data dir>/kube-tls/``; later runs
reuse them (a server certificate close to its end is signed anew by the same CA, so kubeconfigs
already handed out keep working). The CA's PEM is what a kubeconfig carries as
``certificate-authority-data``. Keys are ECDSA P-256 (quick to make; Go's TLS takes them) and
readable by their owner only.

``daphne_endpoint(port, files)`` is the Twisted endpoint string Daphne listens on with them.
"""

from __future__ import annotations

import base64
import datetime
import fcntl
import ipaddress
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from cloudlab.env import data_dir, envint

DEFAULT_PORT = 6443  # the apiserver's own default (kube-apiserver --secure-port)
CA_DAYS = 3650
SERVER_DAYS = 825
#: A server certificate with less than this left is made again at the next start.
RENEW_BEFORE = datetime.timedelta(days=30)
SERVER_NAMES = ("localhost",)
SERVER_ADDRESSES = ("127.0.0.1", "::1")


@dataclass(frozen=True)
class TlsFiles:
    ca_cert: Path
    server_cert: Path
    server_key: Path

    def ca_pem(self) -> bytes:
        return self.ca_cert.read_bytes()

    def ca_data(self) -> str:
        """The CA as a kubeconfig's ``certificate-authority-data`` (base64 of the PEM)."""
        return base64.b64encode(self.ca_pem()).decode("ascii")


def kube_port() -> int:
    """The HTTPS port of the Kubernetes API (``CLOUDLAB_KUBE_PORT``, default 6443)."""
    return envint("CLOUDLAB_KUBE_PORT", DEFAULT_PORT, minimum=1)


def tls_dir(base: Path) -> Path:
    return base / "kube-tls"


def files_in(base: Path) -> TlsFiles:
    folder = tls_dir(base)
    return TlsFiles(folder / "ca.crt", folder / "apiserver.crt", folder / "apiserver.key")


def ensure_certificates(base: Path | None = None) -> TlsFiles:
    """The CA and server certificate in ``base`` (the data directory), made if missing."""
    base = data_dir() if base is None else base
    files = files_in(base)
    folder = tls_dir(base)
    folder.mkdir(parents=True, exist_ok=True)
    with _locked(folder / ".lock"):
        ca_key_path = folder / "ca.key"
        if not (files.ca_cert.exists() and ca_key_path.exists()):
            ca_key = ec.generate_private_key(ec.SECP256R1())
            ca_cert = _ca_certificate(ca_key)
            _write(ca_key_path, _key_pem(ca_key), private=True)
            _write(files.ca_cert, ca_cert.public_bytes(serialization.Encoding.PEM))
            for stale in (files.server_cert, files.server_key):
                stale.unlink(missing_ok=True)  # signed by a CA that is gone
        if _server_needs_renewal(files):
            ca_key = serialization.load_pem_private_key(ca_key_path.read_bytes(), password=None)
            assert isinstance(ca_key, ec.EllipticCurvePrivateKey)
            ca_cert = x509.load_pem_x509_certificate(files.ca_cert.read_bytes())
            server_key = ec.generate_private_key(ec.SECP256R1())
            server_cert = _server_certificate(server_key, ca_key, ca_cert)
            _write(files.server_key, _key_pem(server_key), private=True)
            _write(files.server_cert, server_cert.public_bytes(serialization.Encoding.PEM))
    return files


def daphne_endpoint(port: int, files: TlsFiles, interface: str = "127.0.0.1") -> str:
    """Twisted's ``ssl:`` endpoint for Daphne's ``-e``: loopback only, with the server's key and
    certificate (a colon or backslash in a path is escaped, as the endpoint syntax requires)."""
    return (
        f"ssl:port={port}:interface={_escape(interface)}"
        f":privateKey={_escape(str(files.server_key))}:certKey={_escape(str(files.server_cert))}"
    )


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace(":", "\\:")


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """One process makes the files at a time (the run command and a page may both ask)."""
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _write(path: Path, data: bytes, *, private: bool = False) -> None:
    temporary = path.with_name(path.name + ".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if private else 0o644)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.replace(temporary, path)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def _server_needs_renewal(files: TlsFiles) -> bool:
    if not (files.server_cert.exists() and files.server_key.exists()):
        return True
    try:
        cert = x509.load_pem_x509_certificate(files.server_cert.read_bytes())
    except ValueError:
        return True
    return cert.not_valid_after_utc - _now() < RENEW_BEFORE


def _ca_certificate(key: ec.EllipticCurvePrivateKey) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "cloudlab-kubernetes-ca")])
    now = _now()
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=CA_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )


def _server_certificate(
    key: ec.EllipticCurvePrivateKey, ca_key: ec.EllipticCurvePrivateKey, ca_cert: x509.Certificate
) -> x509.Certificate:
    now = _now()
    names: list[x509.GeneralName] = [x509.DNSName(n) for n in SERVER_NAMES]
    names += [x509.IPAddress(ipaddress.ip_address(a)) for a in SERVER_ADDRESSES]
    return (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kube-apiserver")]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=SERVER_DAYS))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
