//! The HS256 secret: configured, or in the embedded mode created once in the data dir with
//! owner-only permissions, written so that a crash never leaves a short one behind.

use std::io::Write;
use std::path::Path;

use super::AuthError;
use crate::config::Settings;

/// The shortest HS256 secret accepted.
const MIN_SECRET_LEN: usize = 16;

/// The configured secret, or in the embedded mode the one kept in the data dir (created once,
/// readable by the owner only).
pub(super) fn load_or_create_secret(settings: &Settings) -> Result<Vec<u8>, AuthError> {
    if let Some(secret) = &settings.jwt_secret {
        if secret.len() < MIN_SECRET_LEN {
            return Err(AuthError::Setup(
                "GOLDEN_JWT_SECRET must be at least 16 characters".into(),
            ));
        }
        return Ok(secret.as_bytes().to_vec());
    }
    if settings.database.is_postgres() {
        return Err(AuthError::Setup(
            "GOLDEN_JWT_SECRET must be set when DATABASE_URL selects PostgreSQL, so that every \
             replica accepts the same tokens"
                .into(),
        ));
    }
    let path = settings.secret_file();
    let setup = |e: std::io::Error| AuthError::Setup(format!("{}: {e}", path.display()));
    match std::fs::read_to_string(&path) {
        Ok(text) if text.trim().len() >= MIN_SECRET_LEN => {
            return Ok(text.trim().as_bytes().to_vec());
        }
        // Left by a write that an older version did in place and a crash cut short: a short
        // key would sign forgeable tokens, so it is replaced.
        Ok(_) => {
            tracing::warn!(file = %path.display(), "the secret file is truncated; creating a new secret");
            std::fs::remove_file(&path).map_err(setup)?;
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(setup(e)),
    }
    create_secret(&path)
}

/// Writes a new secret to a private temporary file, syncs it and only then links it in place,
/// so a crash at any point leaves either no secret file or a whole one. Linking refuses to
/// replace a secret another process created first; that one is used instead.
fn create_secret(path: &Path) -> Result<Vec<u8>, AuthError> {
    let setup = |e: std::io::Error| AuthError::Setup(format!("{}: {e}", path.display()));
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(setup)?;
    let mut bytes = [0u8; 36];
    getrandom::fill(&mut bytes).map_err(|e| AuthError::Setup(e.to_string()))?;
    let secret = hex::encode(&bytes[..32]);
    let temporary = path.with_extension(format!("tmp-{}", hex::encode(&bytes[32..])));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let written = options.open(&temporary).and_then(|mut file| {
        file.write_all(secret.as_bytes())?;
        file.sync_all()
    });
    let linked = written.and_then(|()| std::fs::hard_link(&temporary, path));
    let _ = std::fs::remove_file(&temporary);
    match linked {
        Ok(()) => {
            std::fs::File::open(dir)
                .and_then(|d| d.sync_all())
                .map_err(setup)?;
            Ok(secret.into_bytes())
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => std::fs::read_to_string(path)
            .map(|s| s.trim().as_bytes().to_vec())
            .map_err(setup),
        Err(e) => Err(setup(e)),
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::super::Authenticator;
    use crate::config::Settings;

    fn authenticator(dir: &Path) -> Authenticator {
        Authenticator::from_settings(&Settings::embedded(dir)).unwrap()
    }

    #[test]
    fn secret_is_created_once_owner_only() {
        let dir = tempfile::tempdir().unwrap();
        let a = authenticator(dir.path());
        let b = authenticator(dir.path());
        assert_eq!(a.secret, b.secret);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("jwt-secret"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn a_truncated_secret_file_is_replaced_and_no_temporary_file_stays() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("jwt-secret");
        std::fs::write(&file, "abc").unwrap();
        let a = authenticator(dir.path());
        assert_eq!(a.secret.len(), 64);
        assert_eq!(std::fs::read(&file).unwrap(), a.secret);
        assert_eq!(authenticator(dir.path()).secret, a.secret);
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["jwt-secret"]);
    }
}
