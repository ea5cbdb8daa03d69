//! Public keys from a JWKS document (RFC 7517), so an identity provider's tokens verify
//! without copying a PEM around: each key is found by the token's `kid` and pinned to one
//! algorithm (its `alg`, or the one its type implies). When a token names a `kid` the set does
//! not hold, the file is read again if it changed on disk, which is how a rotated key arrives.

use std::path::{Path, PathBuf};
use std::sync::RwLock;
use std::time::SystemTime;

use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, JwkSet, KeyAlgorithm};
use jsonwebtoken::{Algorithm, DecodingKey};

use super::{AuthError, VerifyingKey};

/// The file's identity when it was read: its modification time and length.
type Stamp = Option<(SystemTime, u64)>;

struct Loaded {
    stamp: Stamp,
    keys: Vec<VerifyingKey>,
}

/// The keys of a JWKS file, reloaded when it changes.
pub(super) struct Jwks {
    path: PathBuf,
    loaded: RwLock<Loaded>,
}

impl Jwks {
    /// Reads the file; a file that cannot be read or holds no usable key is a setup error.
    pub(super) fn open(path: &Path) -> Result<Self, AuthError> {
        let stamp = stamp(path);
        let keys = read(path).map_err(AuthError::Setup)?;
        Ok(Self {
            path: path.to_owned(),
            loaded: RwLock::new(Loaded { stamp, keys }),
        })
    }

    /// The key with this `kid`.
    pub(super) fn find(&self, kid: &str) -> Option<VerifyingKey> {
        let loaded = self.loaded.read().unwrap_or_else(|p| p.into_inner());
        loaded
            .keys
            .iter()
            .find(|k| k.kid.as_deref() == Some(kid))
            .cloned()
    }

    /// The first key pinned to `alg`, for a token that names no `kid`.
    pub(super) fn by_algorithm(&self, alg: Algorithm) -> Option<VerifyingKey> {
        let loaded = self.loaded.read().unwrap_or_else(|p| p.into_inner());
        loaded.keys.iter().find(|k| k.alg == alg).cloned()
    }

    /// Reads the file again when it changed since it was last read; true when the keys were
    /// replaced. A changed file that does not parse keeps the keys in use (and is logged).
    pub(super) fn reload_if_changed(&self) -> bool {
        let now = stamp(&self.path);
        let unchanged = {
            let loaded = self.loaded.read().unwrap_or_else(|p| p.into_inner());
            loaded.stamp == now
        };
        if unchanged {
            return false;
        }
        let mut loaded = self.loaded.write().unwrap_or_else(|p| p.into_inner());
        if loaded.stamp == now {
            return false;
        }
        loaded.stamp = now;
        match read(&self.path) {
            Ok(keys) => {
                tracing::info!(file = %self.path.display(), keys = keys.len(), "reloaded the JWKS");
                loaded.keys = keys;
                true
            }
            Err(e) => {
                tracing::warn!(error = %e, "the JWKS changed but cannot be used; keeping the keys in use");
                false
            }
        }
    }
}

fn stamp(path: &Path) -> Stamp {
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.modified().ok()?, meta.len()))
}

fn read(path: &Path) -> Result<Vec<VerifyingKey>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let set: JwkSet = serde_json::from_str(&text)
        .map_err(|e| format!("{}: not a JWKS document: {e}", path.display()))?;
    let mut keys = Vec::new();
    for jwk in &set.keys {
        match verifying_key(jwk) {
            Ok(key) => keys.push(key),
            Err(reason) => tracing::warn!(
                file = %path.display(),
                kid = jwk.common.key_id.as_deref().unwrap_or(""),
                reason,
                "skipped a JWKS key"
            ),
        }
    }
    if keys.is_empty() {
        return Err(format!("{}: no usable signing key", path.display()));
    }
    Ok(keys)
}

fn verifying_key(jwk: &Jwk) -> Result<VerifyingKey, String> {
    let alg = algorithm(jwk)?;
    let key = DecodingKey::from_jwk(jwk).map_err(|e| e.to_string())?;
    Ok(VerifyingKey {
        kid: jwk.common.key_id.clone(),
        alg,
        key,
    })
}

/// The one algorithm a key verifies: its `alg` when it names one that suits its type, else
/// the usual one for its type. Symmetric (`oct`) keys are never taken from a JWKS.
fn algorithm(jwk: &Jwk) -> Result<Algorithm, String> {
    use KeyAlgorithm as K;
    let implied = match &jwk.algorithm {
        AlgorithmParameters::RSA(_) => Algorithm::RS256,
        AlgorithmParameters::EllipticCurve(p) => match p.curve {
            EllipticCurve::P256 => Algorithm::ES256,
            EllipticCurve::P384 => Algorithm::ES384,
            _ => return Err("unsupported elliptic curve".into()),
        },
        AlgorithmParameters::OctetKeyPair(p) if p.curve == EllipticCurve::Ed25519 => {
            Algorithm::EdDSA
        }
        _ => return Err("not an RSA, EC or Ed25519 public key".into()),
    };
    let Some(named) = jwk.common.key_algorithm else {
        return Ok(implied);
    };
    let named = match named {
        K::RS256 => Algorithm::RS256,
        K::RS384 => Algorithm::RS384,
        K::RS512 => Algorithm::RS512,
        K::PS256 => Algorithm::PS256,
        K::PS384 => Algorithm::PS384,
        K::PS512 => Algorithm::PS512,
        K::ES256 => Algorithm::ES256,
        K::ES384 => Algorithm::ES384,
        K::EdDSA => Algorithm::EdDSA,
        other => {
            return Err(format!(
                "algorithm {other:?} is not accepted for signatures"
            ));
        }
    };
    if named.family() != implied.family() {
        return Err(format!("alg {named:?} does not suit the key's type"));
    }
    Ok(named)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symmetric_keys_and_mismatched_algorithms_are_not_taken() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("jwks.json");
        let oct = r#"{"keys": [{"kty": "oct", "kid": "h", "k": "c2VjcmV0LXNlY3JldC1zZWNyZXQ"}]}"#;
        std::fs::write(&path, oct).unwrap();
        assert!(matches!(Jwks::open(&path), Err(AuthError::Setup(_))));

        let ed = r#"{"kty": "OKP", "crv": "Ed25519", "kid": "e",
                     "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#;
        std::fs::write(&path, format!(r#"{{"keys": [{ed}]}}"#)).unwrap();
        let jwks = Jwks::open(&path).unwrap();
        assert_eq!(jwks.find("e").map(|k| k.alg), Some(Algorithm::EdDSA));
        assert!(!jwks.reload_if_changed(), "unchanged file, no reload");

        let mislabelled = ed.replace(r#""kid": "e""#, r#""kid": "e", "alg": "RS256""#);
        std::fs::write(&path, format!(r#"{{"keys": [{mislabelled}]}}"#)).unwrap();
        assert!(matches!(Jwks::open(&path), Err(AuthError::Setup(_))));
    }
}
