//! References to uploaded files (documents, drawings, evidence, images): the form the upload
//! answers, `/files/<sha-256 of the content>/<name>`, and nothing else — no outside addresses.

use serde::{Deserialize, Serialize};

/// Longest file name a reference may carry.
pub const MAX_NAME_CHARS: usize = 100;

/// A reference to a file stored by the upload, by its content hash.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct FileRef(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a file uploaded to Zhuchao (expected /files/<hash>/<name> as the upload answered)")]
pub struct NotAFileRef(pub String);

impl FileRef {
    /// Accepts exactly what the upload answers: 64 lowercase hex digits and a plain file name.
    pub fn parse(text: &str) -> Result<FileRef, NotAFileRef> {
        let bad = || NotAFileRef(text.chars().take(120).collect());
        let rest = text.strip_prefix("/files/").ok_or_else(bad)?;
        let (hash, name) = rest.split_once('/').ok_or_else(bad)?;
        let hash_ok = hash.len() == 64
            && hash
                .chars()
                .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c));
        let name_ok = !name.is_empty()
            && name.chars().count() <= MAX_NAME_CHARS
            && name != "."
            && name != ".."
            && name
                .chars()
                .all(|c| c.is_alphanumeric() || matches!(c, '.' | '-' | '_'));
        if hash_ok && name_ok {
            Ok(FileRef(text.to_string()))
        } else {
            Err(bad())
        }
    }

    /// The content hash, which names the stored file.
    pub fn hash(&self) -> &str {
        self.0
            .strip_prefix("/files/")
            .and_then(|r| r.split('/').next())
            .unwrap_or_default()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for FileRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Parses every reference of a list, or names the first that is not one.
pub fn parse_all(texts: &[String]) -> Result<Vec<FileRef>, NotAFileRef> {
    texts.iter().map(|t| FileRef::parse(t)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const HASH: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

    #[test]
    fn only_references_the_upload_answers_are_files() {
        let good = format!("/files/{HASH}/licence.pdf");
        assert_eq!(FileRef::parse(&good).unwrap().hash(), HASH);
        for bad in [
            "http://evil.example/x.pdf".to_string(),
            "files/licence.pdf".to_string(),
            format!("/files/{HASH}"),
            format!("/files/{HASH}/"),
            format!("/files/{HASH}/../etc"),
            format!("/files/{HASH}/a/b.pdf"),
            format!("/files/{}/x.pdf", &HASH[..63]),
            format!("/files/{}/x.pdf", HASH.to_uppercase()),
            format!("/files/{HASH}/{}", "a".repeat(101)),
            format!("https://zhuchao.example/files/{HASH}/x.pdf"),
        ] {
            assert!(FileRef::parse(&bad).is_err(), "{bad} accepted");
        }
    }
}
