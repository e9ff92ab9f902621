//! Integration credentials, sealed at rest with AES-256-GCM. The key comes from
//! `SUCCESS_SECRET_KEY` (64 hex digits or base64 of 32 bytes) or, failing that, from a key file
//! in the data folder that is generated on first start with mode 0600. Each sealed value is bound
//! to its workspace and integration (associated data), so a value copied to another row won't open.

use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use ring::rand::{SecureRandom, SystemRandom};
use std::path::Path;
use std::sync::Arc;

const VERSION: u8 = 1;

#[derive(Clone)]
pub struct SecretBox {
    key: Arc<LessSafeKey>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SecretError {
    #[error("SUCCESS_SECRET_KEY must be 32 bytes, written as 64 hex digits or base64")]
    BadKey,
    #[error("cannot use the key file {0}: {1}")]
    KeyFile(String, String),
    #[error("a stored credential cannot be opened (was SUCCESS_SECRET_KEY or the key file changed?)")]
    CannotOpen,
}

impl SecretBox {
    pub fn from_key(bytes: [u8; 32]) -> SecretBox {
        let key = UnboundKey::new(&AES_256_GCM, &bytes).expect("32 bytes is an AES-256 key");
        SecretBox {
            key: Arc::new(LessSafeKey::new(key)),
        }
    }

    /// A key that lives as long as the process (tests, and the benches).
    pub fn ephemeral() -> SecretBox {
        let mut bytes = [0u8; 32];
        SystemRandom::new()
            .fill(&mut bytes)
            .expect("the OS random source works");
        SecretBox::from_key(bytes)
    }

    /// The configured key: `env_key` when given, else `<data_dir>/secret.key`, created if absent.
    pub fn load(env_key: Option<&str>, data_dir: &Path) -> Result<SecretBox, SecretError> {
        if let Some(text) = env_key.map(str::trim).filter(|t| !t.is_empty()) {
            return parse_key(text).map(SecretBox::from_key).ok_or(SecretError::BadKey);
        }
        let path = data_dir.join("secret.key");
        let shown = path.display().to_string();
        let file_err = |e: std::io::Error| SecretError::KeyFile(shown.clone(), e.to_string());
        match std::fs::read_to_string(&path) {
            Ok(text) => parse_key(text.trim())
                .map(SecretBox::from_key)
                .ok_or_else(|| SecretError::KeyFile(shown.clone(), "it does not hold 64 hex digits".into())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                std::fs::create_dir_all(data_dir).map_err(file_err)?;
                let mut bytes = [0u8; 32];
                SystemRandom::new()
                    .fill(&mut bytes)
                    .map_err(|_| SecretError::KeyFile(shown.clone(), "no random source".into()))?;
                write_private(&path, &hex::encode(bytes)).map_err(file_err)?;
                Ok(SecretBox::from_key(bytes))
            }
            Err(e) => Err(file_err(e)),
        }
    }

    /// `context` names the row the value belongs to (e.g. "42/stripe").
    pub fn seal(&self, plaintext: &str, context: &str) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        SystemRandom::new()
            .fill(&mut nonce)
            .expect("the OS random source works");
        let mut sealed = plaintext.as_bytes().to_vec();
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(context.as_bytes()),
                &mut sealed,
            )
            .expect("sealing cannot fail for in-memory buffers");
        let mut out = Vec::with_capacity(1 + NONCE_LEN + sealed.len());
        out.push(VERSION);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        out
    }

    pub fn open(&self, sealed: &[u8], context: &str) -> Result<String, SecretError> {
        if sealed.len() < 1 + NONCE_LEN || sealed[0] != VERSION {
            return Err(SecretError::CannotOpen);
        }
        let nonce = Nonce::try_assume_unique_for_key(&sealed[1..1 + NONCE_LEN]).map_err(|_| SecretError::CannotOpen)?;
        let mut buf = sealed[1 + NONCE_LEN..].to_vec();
        let plain = self
            .key
            .open_in_place(nonce, Aad::from(context.as_bytes()), &mut buf)
            .map_err(|_| SecretError::CannotOpen)?;
        String::from_utf8(plain.to_vec()).map_err(|_| SecretError::CannotOpen)
    }
}

pub fn parse_key(text: &str) -> Option<[u8; 32]> {
    use base64::Engine;
    let bytes = if text.len() == 64 {
        hex::decode(text).ok()?
    } else {
        base64::engine::general_purpose::STANDARD.decode(text).ok()?
    };
    bytes.try_into().ok()
}

#[cfg(unix)]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(text.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    std::fs::write(path, text)
}

/// What the browser sees of a credential: its kind and last four characters.
pub fn mask(secret: &str) -> String {
    let chars: Vec<char> = secret.chars().collect();
    if chars.len() <= 8 {
        return "••••".into();
    }
    let prefix: String = chars.iter().take_while(|c| **c != '_').take(4).collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    if prefix.len() < chars.len() && chars.get(prefix.len()) == Some(&'_') {
        format!("{prefix}_••••{tail}")
    } else {
        format!("••••{tail}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_with_the_same_key_and_row() {
        let a = SecretBox::ephemeral();
        let sealed = a.seal("sk_live_abc123", "1/stripe");
        assert!(!sealed.windows(6).any(|w| w == b"sk_liv"), "no plaintext at rest");
        assert_eq!(a.open(&sealed, "1/stripe").unwrap(), "sk_live_abc123");
        assert_eq!(a.open(&sealed, "2/stripe"), Err(SecretError::CannotOpen));
        assert_eq!(
            SecretBox::ephemeral().open(&sealed, "1/stripe"),
            Err(SecretError::CannotOpen)
        );
        let mut tampered = sealed.clone();
        *tampered.last_mut().unwrap() ^= 1;
        assert_eq!(a.open(&tampered, "1/stripe"), Err(SecretError::CannotOpen));
        assert_ne!(a.seal("x", "c"), a.seal("x", "c"), "fresh nonce each time");
    }

    #[test]
    fn the_key_file_is_created_private_and_reused() {
        let dir = std::env::temp_dir().join(format!("success_key_{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let first = SecretBox::load(None, &dir).unwrap();
        let sealed = first.seal("token", "ctx");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.join("secret.key")).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let again = SecretBox::load(None, &dir).unwrap();
        assert_eq!(again.open(&sealed, "ctx").unwrap(), "token");
        let from_env = SecretBox::load(Some(&"ab".repeat(32)), &dir).unwrap();
        assert_eq!(from_env.open(&sealed, "ctx"), Err(SecretError::CannotOpen));
        assert_eq!(SecretBox::load(Some("short"), &dir).err(), Some(SecretError::BadKey));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn masks_keep_the_kind_and_last_four() {
        assert_eq!(mask("sk_live_51Habcdefgh1234"), "sk_••••1234");
        assert_eq!(mask("pat-na1-0000-1111-abcd"), "••••abcd");
        assert_eq!(mask("short"), "••••");
    }
}
