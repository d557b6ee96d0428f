//! Secrets on disk: the API token and the overlay key, created once with mode 0600.

use std::io::Write;
use std::path::Path;

/// Returns `configured` if set, else the secret stored at `path`, else a new random one saved there.
pub fn ensure_secret(path: &Path, configured: Option<&str>) -> std::io::Result<String> {
    if let Some(s) = configured {
        return Ok(s.to_owned());
    }
    match std::fs::read_to_string(path) {
        Ok(s) if !s.trim().is_empty() => return Ok(s.trim().to_owned()),
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    let secret = format!("{:032x}{:032x}", rand::random::<u128>(), rand::random::<u128>());
    write_private(path, secret.as_bytes())?;
    Ok(secret)
}

/// Writes a file only its owner can read (0600 on Unix), replacing it atomically.
pub fn write_private(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp");
    let _ = std::fs::remove_file(&tmp);
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(&tmp)?;
    f.write_all(contents)?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)
}

/// Creates the data directory (0700 on Unix) if it does not exist.
pub fn ensure_data_dir(dir: &Path) -> std::io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    std::fs::create_dir_all(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_secret_is_private_and_stable() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("api-token");
        let a = ensure_secret(&p, None).unwrap();
        let b = ensure_secret(&p, None).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.len(), 64);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&p).unwrap().permissions().mode() & 0o777, 0o600);
        }
        assert_eq!(ensure_secret(&p, Some("configured-token-123")).unwrap(), "configured-token-123");
    }
}
