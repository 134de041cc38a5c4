//! Which commit a reranker reads, decided once at load so that every byte it uses — files,
//! tensors, word-embedding rows fetched days later — comes from that one commit, as
//! huggingface_hub's `revision` pinning does. In order:
//! - a revision that is a commit is used as is;
//! - Cache Storage's manifest for the revision, written by an earlier load: the commit it read
//!   (offline too), and, where the page is online, whether the revision has moved on since
//!   (`info.newerCommit`; `refresh: true` loads the newer one);
//! - config.json read at the revision: the Hub's `X-Repo-Commit` on it, where readable, else (on
//!   huggingface.co itself) the Hub API's revision endpoint;
//! - neither (a mirror, a folder): the revision's URLs, each file held to the size and ETag first
//!   seen (`FILE_CHANGED` otherwise), remembered in the manifest for later visits.

use std::collections::BTreeMap;

use wasm_bindgen_futures::JsFuture;
use web_sys::{Request, RequestInit, Response};

use super::error::{Code, WebError, WebResult};
use super::fetch::{cache_forget, cache_put, cache_text};
use super::hub::{FileState, Hub};
use super::net::{Kind, Unsent};
use crate::WeightBytes;
use crate::config::CONFIG_FILE;

/// How the commit a reranker reads was decided (`info.commitPinnedBy`).
#[derive(Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PinnedBy {
    /// The revision asked for is a commit.
    Revision,
    /// The Hub's `X-Repo-Commit` on config.json.
    Header,
    /// The Hub API's revision endpoint (the header was not readable).
    Api,
    /// Cache Storage: the commit an earlier load of this revision read.
    Cache,
    /// Nothing names a commit (a mirror): each file is held to the size and ETag first seen.
    Files,
}

/// The commit a reranker reads, and a newer one its revision has moved to since.
#[derive(Clone)]
pub struct Pin {
    pub commit: Option<String>,
    pub by: PinnedBy,
    pub newer: Option<String>,
}

/// What Cache Storage remembers of a revision: the commit a load read, and its files' identity.
#[derive(serde::Serialize, serde::Deserialize)]
struct Manifest {
    commit: Option<String>,
    files: BTreeMap<String, FileState>,
}

/// A full commit id (the Hub's are 40 hex digits).
pub fn is_commit(revision: &str) -> bool {
    revision.len() == 40 && revision.bytes().all(|b| b.is_ascii_hexdigit())
}

fn manifest_key(hub: &Hub) -> String {
    hub.source.url_at(&hub.source.revision, ".ja-rerank-manifest.json")
}

/// Pins `hub` to a commit (once; a reload on another backend keeps the pin) and reads
/// config.json from it.
pub async fn pin(hub: &Hub) -> WebResult<(WeightBytes, Pin)> {
    if let Some(pin) = hub.pin() {
        return Ok((hub.fetch(CONFIG_FILE).await?, pin));
    }
    let revision = hub.source.revision.clone();
    if is_commit(&revision) {
        let pin = Pin { commit: Some(revision.to_lowercase()), by: PinnedBy::Revision, newer: None };
        hub.set_pin(pin.clone());
        return Ok((hub.fetch(CONFIG_FILE).await?, pin));
    }
    if hub.caches() {
        if hub.source.refresh {
            // What an unpinned earlier load kept under the revision's URLs may be another
            // version's; entries under a commit's URLs are that commit's and stay.
            cache_forget(&hub.source.url_at(&revision, "")).await;
        } else if let Some(manifest) = read_manifest(hub).await {
            hub.remember(manifest.files);
            let pin = match manifest.commit {
                Some(commit) => {
                    let newer = current_commit(hub).await.filter(|c| *c != commit);
                    Pin { commit: Some(commit), by: PinnedBy::Cache, newer }
                }
                None => Pin { commit: None, by: PinnedBy::Files, newer: None },
            };
            hub.set_pin(pin.clone());
            return Ok((hub.fetch(CONFIG_FILE).await?, pin));
        }
    }
    let url = hub.source.url_at(&revision, CONFIG_FILE);
    let (config, meta) = hub.fetch_meta(CONFIG_FILE, &url, &url, false).await?;
    let api = || async { if is_the_hub(&hub.source.hub_url) { api_commit(hub).await } else { None } };
    let pin = match meta.commit.filter(|c| is_commit(c)) {
        Some(commit) => Pin { commit: Some(commit.to_lowercase()), by: PinnedBy::Header, newer: None },
        None => match api().await {
            Some(commit) => Pin { commit: Some(commit), by: PinnedBy::Api, newer: None },
            None => Pin { commit: None, by: PinnedBy::Files, newer: None },
        },
    };
    hub.set_pin(pin.clone());
    if hub.caches() {
        // Kept under the pinned URL, where a later load of this commit looks for it; and the pin
        // remembered now, so that a load that fails later (a download cut short) is retried on
        // the same commit, without asking for config.json again.
        cache_put(&hub.url(CONFIG_FILE), config.as_bytes()).await;
        save_manifest(hub).await;
    }
    Ok((config, pin))
}

/// Remembers the pin and the files' identity for later loads of the revision (when caching).
pub async fn save_manifest(hub: &Hub) {
    let Some(pin) = hub.pin().filter(|_| hub.caches()) else { return };
    let manifest = Manifest { commit: pin.commit, files: hub.files() };
    if let Ok(json) = serde_json::to_vec(&manifest) {
        cache_put(&manifest_key(hub), &json).await;
    }
}

async fn read_manifest(hub: &Hub) -> Option<Manifest> {
    let text = cache_text(&manifest_key(hub)).await?;
    serde_json::from_str::<Manifest>(&text).ok().filter(|m| m.commit.as_deref().is_none_or(is_commit))
}

/// The commit the revision names now: `X-Repo-Commit` of a HEAD of its config.json, else the
/// API; `None` offline or where neither says.
async fn current_commit(hub: &Hub) -> Option<String> {
    let url = hub.source.url_at(&hub.source.revision, CONFIG_FILE);
    let make = || -> WebResult<Request> {
        let init = RequestInit::new();
        init.set_method("HEAD");
        Request::new_with_str_and_init(&url, &init).map_err(|e| WebError::new(Code::Network, WebError::describe(&e)))
    };
    let on_wait = |_: f64| {};
    let head = hub.net(None, &on_wait).send(Kind::Resolver, &make).await.ok().filter(Response::ok);
    match head.and_then(|r| r.headers().get("x-repo-commit").ok().flatten()).filter(|c| is_commit(c)) {
        Some(commit) => Some(commit.to_lowercase()),
        None if is_the_hub(&hub.source.hub_url) => api_commit(hub).await,
        None => None,
    }
}

/// Whether `hub_url` is huggingface.co (or hf.co), whose API certainly exists. Elsewhere — a
/// mirror, a folder, your CDN — asking an API that is not there would cost a 404 on every first
/// load (which the browser logs as an error), so only a readable `X-Repo-Commit` pins a commit
/// there (Hub software sends it), else each file's identity does.
fn is_the_hub(hub_url: &str) -> bool {
    let host = hub_url.split("://").nth(1).unwrap_or("").split(['/', ':', '?', '#']).next().unwrap_or("");
    let host = host.to_ascii_lowercase();
    ["huggingface.co", "hf.co"].iter().any(|h| host == *h || host.ends_with(&format!(".{h}")))
}

/// The Hub API's answer for the revision (`{"sha": ...}`); `None` where there is no API.
async fn api_commit(hub: &Hub) -> Option<String> {
    let url = hub.source.api_url();
    let make = || Request::new_with_str(&url).map_err(|e| WebError::new(Code::Network, WebError::describe(&e)));
    let on_wait = |_: f64| {};
    let response = match hub.net(None, &on_wait).send(Kind::Api, &make).await {
        Ok(r) if r.ok() => r,
        Ok(_) | Err(Unsent::Refused(_) | Unsent::Failed(_)) => return None,
    };
    let text = JsFuture::from(response.text().ok()?).await.ok()?.as_string()?;
    #[derive(serde::Deserialize)]
    struct Revision {
        sha: String,
    }
    let sha = serde_json::from_str::<Revision>(&text).ok()?.sha;
    is_commit(&sha).then(|| sha.to_lowercase())
}
