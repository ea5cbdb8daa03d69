//! Bearer JWTs: verifying them, issuing them for local use, and what each role may do.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::sync::RwLock;
use std::time::Duration;

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::config::Settings;

mod jwks;
mod secret;

use secret::load_or_create_secret;

/// A role named in the token's `roles` claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Lookups, search and the change feed.
    Reader,
    /// Writes source records for the systems in the `sources` claim.
    Ingest,
    /// Proposals, merges, splits, overrides; reads too.
    Steward,
    /// Everything.
    Admin,
    /// Sees the values of fields a rule file marks `sensitive` (tax IDs, bank accounts)
    /// unmasked, filters on them and overrides them; given alongside another role.
    Sensitive,
}

impl std::str::FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "reader" => Ok(Self::Reader),
            "ingest" => Ok(Self::Ingest),
            "steward" => Ok(Self::Steward),
            "admin" => Ok(Self::Admin),
            "sensitive" => Ok(Self::Sensitive),
            other => Err(format!(
                "unknown role {other:?}; expected reader, ingest, steward, admin or sensitive"
            )),
        }
    }
}

/// The claims Golden reads from a token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    /// Unknown role names are ignored, so a token from an identity provider may carry others.
    #[serde(default, deserialize_with = "known_roles")]
    pub roles: BTreeSet<Role>,
    /// Source systems an `ingest` token may write for.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<String>,
    pub exp: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<u64>,
    /// Not valid before this time (checked with the same leeway as `exp`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aud: Option<Audience>,
}

/// The `aud` claim: one audience or several (RFC 7519, section 4.1.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Audience {
    One(String),
    Many(Vec<String>),
}

fn known_roles<'de, D: serde::Deserializer<'de>>(d: D) -> Result<BTreeSet<Role>, D::Error> {
    let names: Vec<String> = Vec::deserialize(d)?;
    Ok(names.iter().filter_map(|n| n.parse().ok()).collect())
}

/// What a request wants to do; checked against the caller's roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission<'a> {
    Read,
    Ingest {
        source_system: &'a str,
    },
    Steward,
    Admin,
    /// See, filter on and write the values of `sensitive` fields.
    Sensitive,
}

impl Claims {
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    /// Whether these claims allow `permission`. Admin may do everything; a steward also reads.
    pub fn allows(&self, permission: Permission<'_>) -> bool {
        if self.has(Role::Admin) {
            return true;
        }
        match permission {
            Permission::Read => self.has(Role::Reader) || self.has(Role::Steward),
            Permission::Ingest { source_system } => {
                self.has(Role::Ingest) && self.sources.iter().any(|s| s == source_system)
            }
            Permission::Steward => self.has(Role::Steward),
            Permission::Admin => false,
            Permission::Sensitive => self.has(Role::Sensitive),
        }
    }

    /// Whether the caller sees sensitive values as they are (the `sensitive` role, or admin).
    pub fn sees_sensitive(&self) -> bool {
        self.allows(Permission::Sensitive)
    }
}

/// Why a token was refused, as a stable code: the audit log records it and the refusal
/// metric counts by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Refusal {
    /// No bearer token was sent.
    MissingToken,
    /// Not a JWT: bad shape, base64 or JSON.
    Malformed,
    /// The header names an algorithm no configured key is pinned to (`none` included).
    Algorithm,
    /// The header names a `kid` no configured key has.
    UnknownKey,
    /// The signature does not verify with the key for its algorithm.
    Signature,
    Expired,
    NotYetValid,
    /// A required claim (`exp`, `sub`, and `iss` / `aud` when configured) is absent.
    MissingClaim,
    Issuer,
    Audience,
    /// A claim has the wrong type.
    Claims,
}

impl Refusal {
    pub fn code(self) -> &'static str {
        match self {
            Self::MissingToken => "missing_token",
            Self::Malformed => "malformed_token",
            Self::Algorithm => "algorithm_not_accepted",
            Self::UnknownKey => "unknown_key",
            Self::Signature => "bad_signature",
            Self::Expired => "expired",
            Self::NotYetValid => "not_yet_valid",
            Self::MissingClaim => "missing_claim",
            Self::Issuer => "wrong_issuer",
            Self::Audience => "wrong_audience",
            Self::Claims => "invalid_claims",
        }
    }

    fn of(error: &jsonwebtoken::errors::Error) -> Self {
        use jsonwebtoken::errors::ErrorKind as K;
        match error.kind() {
            K::InvalidSignature => Self::Signature,
            K::InvalidAlgorithm
            | K::InvalidAlgorithmName
            | K::UnsupportedAlgorithm
            | K::MissingAlgorithm
            | K::InvalidKeyFormat
            | K::InvalidEcdsaKey
            | K::InvalidEddsaKey
            | K::InvalidRsaKey(_) => Self::Algorithm,
            K::ExpiredSignature => Self::Expired,
            K::ImmatureSignature => Self::NotYetValid,
            K::MissingRequiredClaim(_) => Self::MissingClaim,
            K::InvalidIssuer => Self::Issuer,
            K::InvalidAudience => Self::Audience,
            K::InvalidClaimFormat(_) | K::InvalidSubject => Self::Claims,
            _ => Self::Malformed,
        }
    }
}

/// Why a token was not accepted.
#[derive(Debug, Error)]
pub enum AuthError {
    #[error("missing bearer token")]
    Missing,
    #[error("invalid token: {detail}")]
    Invalid { refusal: Refusal, detail: String },
    #[error("cannot set up token keys: {0}")]
    Setup(String),
}

impl AuthError {
    fn invalid(refusal: Refusal, detail: impl Into<String>) -> Self {
        Self::Invalid {
            refusal,
            detail: detail.into(),
        }
    }

    /// The refusal code (a setup error never comes from a request's token).
    pub fn refusal(&self) -> Refusal {
        match self {
            Self::Missing => Refusal::MissingToken,
            Self::Invalid { refusal, .. } => *refusal,
            Self::Setup(_) => Refusal::Malformed,
        }
    }
}

impl From<jsonwebtoken::errors::Error> for AuthError {
    fn from(error: jsonwebtoken::errors::Error) -> Self {
        let refusal = Refusal::of(&error);
        let detail = match error.kind() {
            jsonwebtoken::errors::ErrorKind::MissingRequiredClaim(claim) => {
                format!("the {claim} claim is required")
            }
            _ => error.to_string(),
        };
        Self::invalid(refusal, detail)
    }
}

/// The `sub` a token claims, read without checking anything: only for the audit of a refused
/// token, never for a decision.
pub fn claimed_subject(token: &str) -> Option<String> {
    let claims: serde_json::Value = jsonwebtoken::dangerous::insecure_decode_claims(token).ok()?;
    claims.get("sub")?.as_str().map(str::to_owned)
}

/// One key a token may be signed with, pinned to one algorithm: a token whose header names
/// another algorithm is never checked with it (no `none`, no HS256 over a public key's bytes).
#[derive(Clone)]
struct VerifyingKey {
    kid: Option<String>,
    alg: Algorithm,
    key: DecodingKey,
}

/// Verifies tokens: HS256 with the shared secret, RS256/ES256 with an identity provider's
/// public key, and the keys of a JWKS file (by `kid`), as configured.
pub struct Authenticator {
    secret: Vec<u8>,
    keys: Vec<VerifyingKey>,
    jwks: Option<jwks::Jwks>,
    issuer: Option<String>,
    audience: Option<String>,
    /// Tokens verified lately, with their claims. A client sends the same token with every
    /// request, and decoding and checking it again costs more than the crosswalk lookup it
    /// guards. Keyed by the whole token, so only an identical token hits; expiry is still
    /// checked on every use.
    verified: RwLock<HashMap<String, Claims>>,
}

/// Seconds of clock skew tolerated on `exp` and `nbf`.
const LEEWAY: u64 = 60;
/// Most tokens remembered; the memory is dropped and refilled when full.
const VERIFIED_MAX: usize = 4_096;

impl Authenticator {
    pub fn from_settings(settings: &Settings) -> Result<Self, AuthError> {
        let secret = load_or_create_secret(settings)?;
        let mut keys = vec![VerifyingKey {
            kid: None,
            alg: Algorithm::HS256,
            key: DecodingKey::from_secret(&secret),
        }];
        if let Some(path) = &settings.identity_provider.public_key_path {
            let (key, alg) = read_public_key(path)?;
            keys.push(VerifyingKey {
                kid: None,
                alg,
                key,
            });
        }
        let jwks = match &settings.identity_provider.jwks_file {
            Some(path) => Some(jwks::Jwks::open(path)?),
            None => None,
        };
        Ok(Self {
            secret,
            keys,
            jwks,
            issuer: settings.identity_provider.issuer.clone(),
            audience: settings.identity_provider.audience.clone(),
            verified: RwLock::default(),
        })
    }

    /// Checks signature, expiry (required), `nbf` when present and, when configured, issuer
    /// and audience (then required); a token verified before is only checked for expiry.
    pub fn verify(&self, token: &str) -> Result<Claims, AuthError> {
        let now = chrono::Utc::now().timestamp().max(0) as u64;
        let remembered = self
            .verified
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(token)
            .filter(|claims| claims.exp + LEEWAY >= now)
            .cloned();
        if let Some(claims) = remembered {
            return Ok(claims);
        }
        let claims = self.decode(token)?;
        let mut verified = self.verified.write().unwrap_or_else(|p| p.into_inner());
        if verified.len() >= VERIFIED_MAX {
            verified.clear();
        }
        verified.insert(token.to_owned(), claims.clone());
        Ok(claims)
    }

    /// The key a token's header asks for: with a `kid` and a JWKS, the key of that `kid`
    /// (the file is read again when it changed, for a rotated key); otherwise the key pinned
    /// to the header's algorithm. The key's algorithm must be the header's.
    fn key_for(&self, header: &Header) -> Result<VerifyingKey, AuthError> {
        let key = match (&header.kid, &self.jwks) {
            (Some(kid), Some(jwks)) => {
                let found = jwks.find(kid).or_else(|| {
                    if jwks.reload_if_changed() {
                        // Keys may have been rotated out: nothing verified before is trusted.
                        self.verified
                            .write()
                            .unwrap_or_else(|p| p.into_inner())
                            .clear();
                        jwks.find(kid)
                    } else {
                        None
                    }
                });
                Some(found.ok_or_else(|| {
                    AuthError::invalid(Refusal::UnknownKey, format!("no key has kid {kid:?}"))
                })?)
            }
            _ => self
                .keys
                .iter()
                .find(|k| k.alg == header.alg)
                .cloned()
                .or_else(|| self.jwks.as_ref()?.by_algorithm(header.alg)),
        };
        match key {
            Some(key) if key.alg == header.alg => Ok(key),
            _ => Err(AuthError::invalid(
                Refusal::Algorithm,
                format!("algorithm {:?} is not accepted", header.alg),
            )),
        }
    }

    fn decode(&self, token: &str) -> Result<Claims, AuthError> {
        let header = jsonwebtoken::decode_header(token).map_err(|e| {
            // `alg: none` (and any name jsonwebtoken does not know) fails here.
            if matches!(
                e.kind(),
                jsonwebtoken::errors::ErrorKind::Json(_)
                    | jsonwebtoken::errors::ErrorKind::InvalidAlgorithmName
            ) && header_names_algorithm(token)
            {
                AuthError::invalid(Refusal::Algorithm, "the token's algorithm is not accepted")
            } else {
                AuthError::from(e)
            }
        })?;
        let key = self.key_for(&header)?;
        jsonwebtoken::decode::<Claims>(token, &key.key, &self.validation(key.alg))
            .map(|data| data.claims)
            .map_err(AuthError::from)
    }

    /// What every token must satisfy, whatever key signed it.
    fn validation(&self, alg: Algorithm) -> Validation {
        let mut validation = Validation::new(alg);
        let mut required = vec!["exp", "sub"];
        validation.leeway = LEEWAY;
        validation.validate_nbf = true;
        match &self.issuer {
            Some(iss) => {
                validation.set_issuer(&[iss]);
                required.push("iss");
            }
            None => validation.iss = None,
        }
        match &self.audience {
            Some(aud) => {
                validation.set_audience(&[aud]);
                required.push("aud");
            }
            None => validation.validate_aud = false,
        }
        validation.set_required_spec_claims(&required);
        validation
    }

    /// Signs an HS256 token with the shared secret.
    pub fn issue(
        &self,
        sub: &str,
        roles: BTreeSet<Role>,
        sources: Vec<String>,
        ttl: Duration,
    ) -> Result<String, AuthError> {
        let now = chrono::Utc::now().timestamp().max(0) as u64;
        let claims = Claims {
            sub: sub.to_owned(),
            roles,
            sources,
            exp: now + ttl.as_secs(),
            iat: Some(now),
            nbf: None,
            iss: self.issuer.clone(),
            aud: self.audience.clone().map(Audience::One),
        };
        jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(&self.secret),
        )
        .map_err(|e| AuthError::Setup(e.to_string()))
    }
}

/// Whether the token's header is JSON with an `alg` member, so that a failure to read it means
/// an algorithm jsonwebtoken does not accept (`none`, say) rather than a malformed token.
fn header_names_algorithm(token: &str) -> bool {
    use base64::Engine;
    let Some(header) = token.split('.').next() else {
        return false;
    };
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(header.trim_end_matches('='))
        .ok()
        .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
        .is_some_and(|v| v.get("alg").is_some())
}

fn read_public_key(path: &Path) -> Result<(DecodingKey, Algorithm), AuthError> {
    let pem =
        std::fs::read(path).map_err(|e| AuthError::Setup(format!("{}: {e}", path.display())))?;
    if let Ok(key) = DecodingKey::from_rsa_pem(&pem) {
        return Ok((key, Algorithm::RS256));
    }
    DecodingKey::from_ec_pem(&pem)
        .map(|key| (key, Algorithm::ES256))
        .map_err(|e| {
            AuthError::Setup(format!(
                "{}: not an RSA or EC public key in PEM form: {e}",
                path.display()
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn authenticator(dir: &Path) -> Authenticator {
        Authenticator::from_settings(&Settings::embedded(dir)).unwrap()
    }

    #[test]
    fn issued_token_verifies_and_carries_roles() {
        let dir = tempfile::tempdir().unwrap();
        let auth = authenticator(dir.path());
        let token = auth
            .issue(
                "erp-loader",
                [Role::Ingest].into(),
                vec!["sap".into()],
                Duration::from_secs(60),
            )
            .unwrap();
        let claims = auth.verify(&token).unwrap();
        assert!(claims.allows(Permission::Ingest {
            source_system: "sap"
        }));
        assert!(!claims.allows(Permission::Ingest {
            source_system: "oracle"
        }));
        assert!(!claims.allows(Permission::Read));
    }

    #[test]
    fn a_remembered_token_still_expires_and_a_tampered_one_is_checked_afresh() {
        let dir = tempfile::tempdir().unwrap();
        let auth = authenticator(dir.path());
        let token = auth
            .issue(
                "reader",
                [Role::Reader].into(),
                vec![],
                Duration::from_secs(60),
            )
            .unwrap();
        let claims = auth.verify(&token).unwrap();
        assert!(auth.verified.read().unwrap().contains_key(&token));
        let tampered = format!("{token}x");
        assert!(auth.verify(&tampered).is_err());
        // Remembered claims past their expiry are not trusted: the token is decoded again,
        // and a token that does not decode is refused.
        let expired = Claims { exp: 0, ..claims };
        auth.verified
            .write()
            .unwrap()
            .insert("not-a-token".into(), expired);
        assert!(auth.verify("not-a-token").is_err());
    }

    #[test]
    fn roles_nest_as_documented() {
        let claims = |roles: &[Role]| Claims {
            sub: "x".into(),
            roles: roles.iter().copied().collect(),
            sources: vec![],
            exp: 0,
            iat: None,
            nbf: None,
            iss: None,
            aud: None,
        };
        assert!(claims(&[Role::Steward]).allows(Permission::Read));
        assert!(!claims(&[Role::Reader]).allows(Permission::Steward));
        assert!(claims(&[Role::Admin]).allows(Permission::Ingest {
            source_system: "any"
        }));
        assert!(!claims(&[Role::Steward]).allows(Permission::Admin));
        assert!(claims(&[Role::Admin]).sees_sensitive());
        assert!(claims(&[Role::Reader, Role::Sensitive]).sees_sensitive());
        assert!(!claims(&[Role::Steward]).sees_sensitive());
        // The grant alone reads nothing: it only unmasks what another role may read.
        assert!(!claims(&[Role::Sensitive]).allows(Permission::Read));
    }

    #[test]
    fn token_from_another_secret_is_refused() {
        let a = authenticator(tempfile::tempdir().unwrap().path());
        let b = authenticator(tempfile::tempdir().unwrap().path());
        let token = a
            .issue("x", [Role::Admin].into(), vec![], Duration::from_secs(60))
            .unwrap();
        assert!(b.verify(&token).is_err());
    }
}
