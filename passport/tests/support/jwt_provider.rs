//! The signatures behind the `jsonwebtoken` oracle.
//!
//! jsonwebtoken 11 takes its signature code from a `CryptoProvider`. Its
//! `rust_crypto` feature supplies one that also builds RSA and the NIST
//! curves (`rsa`, `p256`, `p384` and their dependencies). These tests never
//! use them, and `rsa` carries an advisory with no fixed release
//! (RUSTSEC-2023-0071, a timing side channel in private-key operations), which
//! `cargo audit` reports against this repository's lockfile. So the oracle
//! runs with no provider feature and this provider: Ed25519 from
//! `ed25519-dalek` (what `rust_crypto` uses too) and HS256 signing from
//! `hmac` (only to make a token that our verifier must refuse). Everything that makes
//! jsonwebtoken an independent oracle (token layout, base64url, header and
//! claims, validation) is still its own code.

use ed25519_dalek::pkcs8::DecodePrivateKey as _;
use hmac::{Hmac, Mac as _};
use jsonwebtoken::crypto::{CryptoProvider, JwtSigner, JwtVerifier, KeyUtils};
use jsonwebtoken::errors::{Error, ErrorKind};
use jsonwebtoken::signature::{self, Signer, Verifier};
use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey, EncodingKey};
use sha2::Sha256;

static PROVIDER: CryptoProvider = CryptoProvider {
    signer_factory: new_signer,
    verifier_factory: new_verifier,
    key_utils: KeyUtils::new_unimplemented(),
};

/// Installs the provider for this test process (the first call does it;
/// later calls, from any test thread, find it installed).
pub(crate) fn install() {
    // Err only means it is already installed, and only this one ever is.
    let _ = PROVIDER.install_default();
}

fn new_signer(alg: &Algorithm, key: &EncodingKey) -> Result<Box<dyn JwtSigner>, Error> {
    match (alg, key.family()) {
        (Algorithm::EdDSA, AlgorithmFamily::Ed) => {
            let key = ed25519_dalek::SigningKey::from_pkcs8_der(key.as_bytes())
                .map_err(|_| ErrorKind::InvalidEddsaKey)?;
            Ok(Box::new(Ed25519Signer(key)))
        }
        (Algorithm::HS256, AlgorithmFamily::Hmac) => Ok(Box::new(Hs256(key.as_bytes().to_vec()))),
        (Algorithm::EdDSA | Algorithm::HS256, _) => Err(ErrorKind::InvalidKeyFormat.into()),
        _ => Err(ErrorKind::InvalidAlgorithm.into()),
    }
}

fn new_verifier(alg: &Algorithm, key: &DecodingKey) -> Result<Box<dyn JwtVerifier>, Error> {
    match (alg, key.family()) {
        (Algorithm::EdDSA, AlgorithmFamily::Ed) => {
            let bytes: &[u8; 32] = key
                .try_get_as_bytes()?
                .try_into()
                .map_err(|_| ErrorKind::InvalidEddsaKey)?;
            let key = ed25519_dalek::VerifyingKey::from_bytes(bytes)
                .map_err(|_| ErrorKind::InvalidEddsaKey)?;
            Ok(Box::new(Ed25519Verifier(key)))
        }
        (Algorithm::EdDSA, _) => Err(ErrorKind::InvalidKeyFormat.into()),
        _ => Err(ErrorKind::InvalidAlgorithm.into()),
    }
}

struct Ed25519Signer(ed25519_dalek::SigningKey);

impl Signer<Vec<u8>> for Ed25519Signer {
    fn try_sign(&self, msg: &[u8]) -> Result<Vec<u8>, signature::Error> {
        Ok(ed25519_dalek::Signer::sign(&self.0, msg)
            .to_bytes()
            .to_vec())
    }
}

impl JwtSigner for Ed25519Signer {
    fn algorithm(&self) -> Algorithm {
        Algorithm::EdDSA
    }
}

struct Ed25519Verifier(ed25519_dalek::VerifyingKey);

impl Verifier<Vec<u8>> for Ed25519Verifier {
    fn verify(&self, msg: &[u8], sig: &Vec<u8>) -> Result<(), signature::Error> {
        let sig = ed25519_dalek::Signature::from_slice(sig)?;
        ed25519_dalek::Verifier::verify(&self.0, msg, &sig)
    }
}

impl JwtVerifier for Ed25519Verifier {
    fn algorithm(&self) -> Algorithm {
        Algorithm::EdDSA
    }
}

/// HMAC-SHA-256 signing with this secret (only signing: these tests make
/// HS256 tokens for our verifier to refuse, and never verify one).
struct Hs256(Vec<u8>);

impl Signer<Vec<u8>> for Hs256 {
    fn try_sign(&self, msg: &[u8]) -> Result<Vec<u8>, signature::Error> {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(&self.0).map_err(signature::Error::from_source)?;
        mac.update(msg);
        Ok(mac.finalize().into_bytes().to_vec())
    }
}

impl JwtSigner for Hs256 {
    fn algorithm(&self) -> Algorithm {
        Algorithm::HS256
    }
}
