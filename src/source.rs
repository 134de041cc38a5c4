//! Where a model comes from — the Hub's base URL, a repository id, a revision — checked before any
//! request, so a typo or a hostile value is [`Error::InvalidInput`] instead of a request relative
//! to the page or one that walks a mirror's paths (`model: "../../etc"`). Repository ids follow
//! `huggingface_hub`'s `validate_repo_id`: `name` or `namespace/name`, each 1–96 of ASCII letters,
//! digits, `_`, `-`, `.`, starting and ending with a letter, digit or `_`, with no `--` or `..`,
//! not ending in `.git`.

use crate::error::{Error, Result};

const MAX_NAME: usize = 96;

fn invalid(message: String) -> Error {
    Error::InvalidInput(message)
}

/// The Hub's base URL: absolute, `http:`, `https:` or `file:`, with a host for the first two,
/// without a query, a fragment, spaces or control characters. A path the page means (`/models`)
/// must be made absolute first (`new URL("/models", location.href).href`): resolved silently it
/// would depend on the page that loads the reranker.
pub fn check_hub_url(url: &str) -> Result<()> {
    let bad = |why: &str| Err(invalid(format!("hubUrl {url:?} {why}")));
    let Some((scheme, rest)) = url.split_once("://") else {
        return bad("is not an absolute http(s): or file: URL");
    };
    let scheme = scheme.to_ascii_lowercase();
    if !matches!(scheme.as_str(), "http" | "https" | "file") {
        return bad("is not an absolute http(s): or file: URL");
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return bad("contains spaces or control characters");
    }
    if url.contains(['?', '#']) {
        return bad("has a query or a fragment (files are addressed by path below it)");
    }
    let host = rest.split('/').next().unwrap_or_default();
    if scheme != "file" && host.is_empty() {
        return bad("has no host");
    }
    Ok(())
}

/// A repository id, as `huggingface_hub` validates it (the module's docs).
pub fn check_repo_id(id: &str) -> Result<()> {
    let bad = |why: &str| Err(invalid(format!("model {id:?} is not a repository id ({why}); expected \"owner/name\"")));
    let parts: Vec<&str> = id.split('/').collect();
    if parts.len() > 2 {
        return bad("more than one '/'");
    }
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    for part in &parts {
        if part.is_empty() || part.len() > MAX_NAME {
            return bad("each part has 1 to 96 characters");
        }
        if !part.chars().all(|c| word(c) || c == '-' || c == '.') {
            return bad("letters, digits, '_', '-' and '.' only");
        }
        if !part.starts_with(word) || !part.ends_with(word) {
            return bad("a part cannot start or end with '-' or '.'");
        }
    }
    if id.contains("--") || id.contains("..") {
        return bad("no '--' or '..'");
    }
    if id.ends_with(".git") {
        return bad("cannot end in '.git'");
    }
    Ok(())
}

/// A revision: a branch, a tag or a commit, placed in the file's URL path. Branch names may hold
/// `/` (`refs/pr/1`), but no `..` segment, no empty segment, no query, fragment, `\`, spaces or
/// control characters.
pub fn check_revision(revision: &str) -> Result<()> {
    let bad = || Err(invalid(format!("revision {revision:?} is not a branch, tag or commit name")));
    if revision.chars().any(|c| c.is_whitespace() || c.is_control() || matches!(c, '?' | '#' | '\\' | '%')) {
        return bad();
    }
    if revision.split('/').any(|s| s.is_empty() || s == "." || s == "..") {
        return bad();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hub_urls() {
        for ok in [
            "https://huggingface.co",
            "http://127.0.0.1:8787/hub",
            "https://hf-mirror.com/",
            "file:///srv/models",
            "HTTPS://x.org",
        ] {
            assert!(check_hub_url(ok).is_ok(), "{ok}");
        }
        for bad in [
            "not a url",
            "/hub",
            "hub",
            "ftp://x.org",
            "https://",
            "https:///x",
            "https://x.org/?a=1",
            "https://x.org/#a",
            "javascript://x",
            "https://x.org/a b",
        ] {
            assert!(matches!(check_hub_url(bad), Err(Error::InvalidInput(_))), "{bad}");
        }
    }

    #[test]
    fn repository_ids_as_huggingface_hub_validates_them() {
        for ok in [
            "hotchpotch/japanese-reranker-cross-encoder-small-v1",
            "stand-in/tiny",
            "tiny",
            "a/b.c_d-e",
            "BAAI/bge-reranker-v2-m3",
            &format!("o/{}", "x".repeat(96)),
        ] {
            assert!(check_repo_id(ok).is_ok(), "{ok}");
        }
        for bad in [
            "../../etc",
            "a/../b",
            "a//b",
            "/a",
            "a/",
            "a/b/c",
            "a/b?x=1",
            "a/b#c",
            "a--b/c",
            "a/b.git",
            "-a/b",
            "a/b.",
            "a b/c",
            "東京/モデル",
            "",
            &format!("o/{}", "x".repeat(97)),
            "a/b%2F..",
            "a\\b",
        ] {
            assert!(matches!(check_repo_id(bad), Err(Error::InvalidInput(_))), "{bad}");
        }
    }

    #[test]
    fn revisions() {
        for ok in ["main", "v1.0", "refs/pr/1", "0123456789abcdef0123456789abcdef01234567"] {
            assert!(check_revision(ok).is_ok(), "{ok}");
        }
        for bad in ["", "..", "a/../b", "/main", "main/", "a?b", "a#b", "a b", "a\\b", "%2e%2e"] {
            assert!(matches!(check_revision(bad), Err(Error::InvalidInput(_))), "{bad}");
        }
    }
}
