"""The certificate authority a sandbox's proxy ends TLS with, for hosts whose requests get a credential.

One authority per proxy (so per sandbox), made when it starts and never written anywhere but the sandbox's CA
bundle (its certificate only; the key stays in this process). The sandbox trusts it next to the system's
authorities; hosts without a credential are tunnelled untouched and show their real certificate.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import ssl
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from interns.sandbox.base import SandboxSpec
from interns.sandbox.network.environment import CA_BUNDLE_NAME, SYSTEM_CA_BUNDLE
from interns.sandbox.network.proxy import ProxyServer
from interns.sandbox.network.rules import NetworkAccess, literal_address

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePrivateKey
    from cryptography.x509 import KeyUsage

_VALID = datetime.timedelta(days=2)


class Authority:
    """A throwaway CA and the server certificates it signs, one per host, as TLS contexts for the proxy's side."""

    def __init__(self) -> None:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID

        self._key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "interns proxy (one sandbox)")])
        now = datetime.datetime.now(datetime.UTC)
        public = self._key.public_key()
        self._cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(public)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + _VALID)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(_key_usage(ca=True), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
            .sign(self._key, hashes.SHA256())
        )
        self._contexts: dict[str, ssl.SSLContext] = {}

    def pem(self) -> bytes:
        """The authority's certificate, PEM-encoded."""
        from cryptography.hazmat.primitives import serialization

        return self._cert.public_bytes(serialization.Encoding.PEM)

    def context_for(self, host: str) -> ssl.SSLContext:
        """A server-side TLS context presenting a certificate for `host` signed by this authority (HTTP/1.1 only)."""
        if host not in self._contexts:
            self._contexts[host] = self._make_context(host)
        return self._contexts[host]

    def _make_context(self, host: str) -> ssl.SSLContext:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

        key: EllipticCurvePrivateKey = ec.generate_private_key(ec.SECP256R1())
        address = literal_address(host)
        alt: x509.GeneralName = x509.IPAddress(ipaddress.ip_address(address)) if address else x509.DNSName(host)
        now = datetime.datetime.now(datetime.UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host[:64])]))
            .issuer_name(self._cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + _VALID)
            .add_extension(x509.SubjectAlternativeName([alt]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_key_usage(ca=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(self._key.public_key()), critical=False)
            .sign(self._key, hashes.SHA256())
        )
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.set_alpn_protocols(["http/1.1"])
        # ssl loads a chain only from files: written to a private folder, loaded, removed at once.
        with tempfile.TemporaryDirectory(prefix="interns-tls-") as folder:
            chain = Path(folder) / "chain.pem"
            fd = os.open(chain, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as out:
                out.write(cert.public_bytes(serialization.Encoding.PEM))
                out.write(
                    key.private_bytes(
                        serialization.Encoding.PEM,
                        serialization.PrivateFormat.PKCS8,
                        serialization.NoEncryption(),
                    )
                )
            context.load_cert_chain(chain)
        return context


def _key_usage(*, ca: bool) -> KeyUsage:
    from cryptography import x509

    return x509.KeyUsage(
        digital_signature=not ca,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


def system_bundle() -> bytes:
    """This host's trusted authorities, PEM; empty when it has no bundle file."""
    for path in (ssl.get_default_verify_paths().cafile, SYSTEM_CA_BUNDLE):
        if path and os.path.isfile(path):
            return Path(path).read_bytes()
    return b""


def proxy_for(spec: SandboxSpec) -> ProxyServer:
    """The proxy for a sandbox whose network is a `NetworkAccess`, with an authority when it adds credentials."""
    access = spec.network
    assert isinstance(access, NetworkAccess)
    authority = Authority() if access.credentials else None
    proxy = ProxyServer(
        access, on_connection=spec.on_connection, tls=None if authority is None else authority.context_for
    )
    if authority is not None:
        bundle = proxy.socket_dir / CA_BUNDLE_NAME
        bundle.write_bytes(system_bundle().rstrip(b"\n") + b"\n" + authority.pem())
        bundle.chmod(0o644)
        proxy.ca_bundle = bundle
    return proxy
