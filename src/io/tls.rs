//! wss:// (draft): TLS between the tcp stream and the WebSocket stream,
//! from rustls (no cryptography of our own). [`TlsStream`] reads and
//! writes plaintext with a plain socket's non-blocking contract; the
//! handshake runs inside the first reads and writes.
//!
//! Certificate checks follow libzmq's (GnuTLS) rather than the web's:
//! - a server certificate listed in ZMQ_WSS_TRUST_PEM is trusted as it
//!   is, even a self-signed CA certificate (libzmq's own test uses one);
//!   others must chain to a trusted certificate (ZMQ_WSS_TRUST_PEM, and
//!   the system's store with ZMQ_WSS_TRUST_SYSTEM);
//! - the name is checked only when ZMQ_WSS_HOSTNAME is set (which also
//!   goes out as SNI): the certificate's DNS names, or its Common Name
//!   when it has none;
//! - a certificate outside its validity period is refused.

use std::io::{Error as IoError, ErrorKind, Read, Write};
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::{ring, CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::server::ParsedCertificate;
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, ServerConfig, SignatureScheme};

use x509_cert::der::oid::ObjectIdentifier;

use super::transport::Stream;
use crate::error::{Error, Result};

/// id-ce-subjectAltName (RFC 5280).
const SUBJECT_ALT_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.17");
/// id-at-commonName (RFC 4519).
const COMMON_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.3");

/// Plaintext and records rustls may hold for the kernel (its default is
/// 64 KiB; the ws stream keeps its own 256 KiB above this).
const BUFFER_LIMIT: usize = 256 * 1024;

/// One side's TLS settings, built once per bind or connect.
#[derive(Debug, Clone)]
pub enum TlsSide {
    Client {
        config: Arc<ClientConfig>,
        name: ServerName<'static>,
    },
    Server(Arc<ServerConfig>),
}

/// rustls on *ring*: a small, quick build. rustls 0.23.48 deprecates it
/// for lacking post-quantum key exchange, which libzmq's GnuTLS peers do
/// not offer either; aws-lc-rs would add minutes of C to every build.
#[allow(deprecated)]
fn provider() -> Arc<CryptoProvider> {
    Arc::new(ring::default_provider())
}

fn certificates(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|_| Error::Invalid)?;
    Ok(certs)
}

/// A wss:// bind's settings: ZMQ_WSS_CERT_PEM (the chain, the server's
/// own certificate first) and ZMQ_WSS_KEY_PEM. EINVAL when either is
/// missing or unusable (libzmq asserts).
pub fn server_side(cert_pem: &[u8], key_pem: &[u8]) -> Result<TlsSide> {
    let certs = certificates(cert_pem)?;
    if certs.is_empty() {
        return Err(Error::Invalid);
    }
    let key = PrivateKeyDer::from_pem_slice(key_pem).map_err(|_| Error::Invalid)?;
    let config = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|_| Error::Invalid)?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|_| Error::Invalid)?;
    Ok(TlsSide::Server(Arc::new(config)))
}

/// A wss:// connect's settings: what the client trusts and the name it
/// expects (`hostname`, may be empty); `host` is the endpoint's host,
/// used as the connection's name when no hostname is set (it is then not
/// checked, nor sent).
pub fn client_side(
    trust_pem: &[u8],
    trust_system: bool,
    hostname: &[u8],
    host: &str,
) -> Result<TlsSide> {
    let mut roots = RootCertStore::empty();
    let direct = certificates(trust_pem)?;
    for c in &direct {
        // A certificate webpki cannot use as an anchor may still be
        // trusted directly.
        let _ = roots.add(c.clone());
    }
    if trust_system {
        for c in rustls_native_certs::load_native_certs().certs {
            let _ = roots.add(c);
        }
    }
    let hostname = std::str::from_utf8(hostname).map_err(|_| Error::Invalid)?;
    let expected = if hostname.is_empty() {
        None
    } else {
        Some(ServerName::try_from(hostname.to_string()).map_err(|_| Error::Invalid)?)
    };
    // The connection's name: the expected one, else the endpoint's host.
    let name = match &expected {
        Some(n) => n.clone(),
        None => ServerName::try_from(host.to_string())
            .or_else(|_| ServerName::try_from("localhost".to_string()))
            .map_err(|_| Error::Invalid)?,
    };
    let provider = provider();
    let verifier = Verifier {
        direct,
        // An empty store would refuse to build a webpki verifier: then
        // nothing chains, and only direct trust can pass.
        chain: (!roots.is_empty())
            .then(|| {
                WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                    .build()
                    .ok()
            })
            .flatten(),
        expected: expected.clone(),
        own: name.clone(),
        algorithms: provider.signature_verification_algorithms,
    };
    let mut config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|_| Error::Invalid)?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    config.enable_sni = expected.is_some();
    Ok(TlsSide::Client {
        config: Arc::new(config),
        name,
    })
}

/// libzmq's certificate rules (see the module's notes) on top of
/// webpki's chain building.
#[derive(Debug)]
struct Verifier {
    direct: Vec<CertificateDer<'static>>,
    chain: Option<Arc<WebPkiServerVerifier>>,
    expected: Option<ServerName<'static>>,
    /// The name the connection was opened with (for webpki's chain check,
    /// whose own name check is set aside).
    own: ServerName<'static>,
    algorithms: WebPkiSupportedAlgorithms,
}

fn bad_certificate() -> rustls::Error {
    rustls::Error::InvalidCertificate(rustls::CertificateError::BadEncoding)
}

/// The certificate's validity period covers `now`.
fn in_validity(cert: &x509_cert::Certificate, now: UnixTime) -> bool {
    let v = &cert.tbs_certificate.validity;
    let now = now.as_secs();
    v.not_before.to_unix_duration().as_secs() <= now
        && now <= v.not_after.to_unix_duration().as_secs()
}

/// GnuTLS's fallback: a certificate without DNS names is valid for the
/// name in its Common Name.
fn common_name_matches(cert: &x509_cert::Certificate, name: &str) -> bool {
    let has_san = cert
        .tbs_certificate
        .extensions
        .iter()
        .flatten()
        .any(|e| e.extn_id == SUBJECT_ALT_NAME);
    if has_san {
        return false;
    }
    cert.tbs_certificate
        .subject
        .0
        .iter()
        .flat_map(|rdn| rdn.0.iter())
        .filter(|atv| atv.oid == COMMON_NAME)
        .any(|atv| {
            std::str::from_utf8(atv.value.value()).is_ok_and(|cn| cn.eq_ignore_ascii_case(name))
        })
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        use x509_cert::der::Decode;
        let decoded =
            x509_cert::Certificate::from_der(end_entity.as_ref()).map_err(|_| bad_certificate())?;
        let parsed = ParsedCertificate::try_from(end_entity)?;
        if self
            .direct
            .iter()
            .any(|c| c.as_ref() == end_entity.as_ref())
        {
            if !in_validity(&decoded, now) {
                return Err(rustls::Error::InvalidCertificate(
                    rustls::CertificateError::Expired,
                ));
            }
        } else {
            let chain = self
                .chain
                .as_ref()
                .ok_or(rustls::Error::InvalidCertificate(
                    rustls::CertificateError::UnknownIssuer,
                ))?;
            // The chain alone: webpki's name check is set aside (the
            // name is checked below, libzmq's way, if at all).
            match chain.verify_server_cert(end_entity, intermediates, &self.own, ocsp, now) {
                Ok(_) => {}
                Err(rustls::Error::InvalidCertificate(
                    rustls::CertificateError::NotValidForName
                    | rustls::CertificateError::NotValidForNameContext { .. },
                )) => {}
                Err(e) => return Err(e),
            }
        }
        if let Some(expected) = &self.expected {
            if rustls::client::verify_server_name(&parsed, expected).is_err() {
                let name = expected.to_str();
                if !common_name_matches(&decoded, &name) {
                    return Err(rustls::Error::InvalidCertificate(
                        rustls::CertificateError::NotValidForName,
                    ));
                }
            }
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// The tcp stream as `Read`/`Write` for rustls.
struct Io<'a>(&'a mut Stream);

impl Read for Io<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.0.read(buf)
    }
}

impl Write for Io<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.write(buf)
    }
    fn write_vectored(&mut self, bufs: &[std::io::IoSlice<'_>]) -> std::io::Result<usize> {
        self.0.write_vectored(bufs)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A TLS failure: the connection ends (libzmq: a connection error, no
/// handshake event).
fn tls_error(e: rustls::Error) -> IoError {
    IoError::new(ErrorKind::ConnectionAborted, e)
}

#[derive(Debug)]
pub struct TlsStream {
    tcp: Stream,
    conn: rustls::Connection,
}

impl TlsStream {
    pub fn new(tcp: Stream, side: &TlsSide) -> std::io::Result<TlsStream> {
        let mut conn: rustls::Connection = match side {
            TlsSide::Client { config, name } => {
                rustls::ClientConnection::new(config.clone(), name.clone())
                    .map_err(tls_error)?
                    .into()
            }
            TlsSide::Server(config) => rustls::ServerConnection::new(config.clone())
                .map_err(tls_error)?
                .into(),
        };
        conn.set_buffer_limit(Some(BUFFER_LIMIT));
        let mut s = TlsStream { tcp, conn };
        // A client's hello goes out at once.
        s.flush()?;
        Ok(s)
    }

    pub fn tcp(&self) -> &Stream {
        &self.tcp
    }

    /// Records wait for the kernel.
    pub fn has_pending(&self) -> bool {
        self.conn.wants_write()
    }

    /// Writes waiting records: Ok(true) once all are out.
    pub fn flush(&mut self) -> std::io::Result<bool> {
        while self.conn.wants_write() {
            match self.conn.write_tls(&mut Io(&mut self.tcp)) {
                Ok(0) => return Err(ErrorKind::WriteZero.into()),
                Ok(_) => {}
                Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(false),
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(true)
    }

    /// Plaintext from the peer: WouldBlock only when rustls holds none and
    /// the kernel has no more; Ok(0) at the end of the stream.
    pub fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            match self.conn.reader().read(buf) {
                Ok(n) => return Ok(n),
                Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                // The peer closed without close_notify: the end all the same.
                Err(e) if e.kind() == ErrorKind::UnexpectedEof => return Ok(0),
                Err(e) => return Err(e),
            }
            match self.conn.read_tls(&mut Io(&mut self.tcp)) {
                Ok(_) => {}
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
            if let Err(e) = self.conn.process_new_packets() {
                // The alert rustls queued, if the kernel takes it.
                let _ = self.flush();
                return Err(tls_error(e));
            }
            // Handshake answers (and key updates) go out as they come.
            self.flush()?;
        }
    }

    /// Takes plaintext as the buffer allows (WouldBlock when full).
    pub fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.flush()?;
        let n = self.conn.writer().write(buf)?;
        self.flush()?;
        if n == 0 && !buf.is_empty() {
            return Err(ErrorKind::WouldBlock.into());
        }
        Ok(n)
    }
}
