//! One HTTP exchange with retries: the credential, the conditional and idempotency
//! headers, the retry loop of [`crate::retry`], and the error mapping of [`crate::error`].

use crate::error::{Error, Problem};
use crate::options::ClientOptions;
use crate::retry::{self, RetryPolicy};
use reqwest::header::{
    HeaderMap, HeaderName, HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE, ETAG, IF_MATCH, RETRY_AFTER,
};
use reqwest::{Method, Url};
use serde::de::DeserializeOwned;
use std::time::Duration;

/// `application/json`.
pub(crate) const JSON: &str = "application/json";
/// RFC 7396's media type.
pub(crate) const MERGE_PATCH_JSON: &str = "application/merge-patch+json";

/// One request, sent as often as the retry policy allows.
pub(crate) struct Call<'a> {
    pub method: Method,
    pub url: Url,
    /// Media type and bytes.
    pub body: Option<(&'static str, Vec<u8>)>,
    pub idempotency_key: Option<&'a str>,
    pub if_match: Option<&'a str>,
}

impl<'a> Call<'a> {
    pub fn new(method: Method, url: Url) -> Self {
        Call { method, url, body: None, idempotency_key: None, if_match: None }
    }

    pub fn json(mut self, media: &'static str, body: &impl serde::Serialize) -> Result<Self, Error> {
        let bytes = serde_json::to_vec(body).map_err(|e| Error::InvalidArgument(format!("the body: {e}")))?;
        self.body = Some((media, bytes));
        Ok(self)
    }

    pub fn if_match(mut self, tag: Option<&'a str>) -> Self {
        self.if_match = tag;
        self
    }

    pub fn idempotency_key(mut self, key: Option<&'a str>) -> Self {
        self.idempotency_key = key;
        self
    }
}

/// A success answer.
pub(crate) struct Answer {
    pub status: u16,
    pub etag: Option<String>,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, Error> {
        serde_json::from_slice(&self.body).map_err(|e| Error::Decode { status: self.status, message: e.to_string() })
    }
}

/// An answer before it is judged.
struct Raw {
    status: u16,
    etag: Option<String>,
    retry_after: Option<Duration>,
    body: Vec<u8>,
}

#[derive(Clone)]
pub(crate) struct Transport {
    http: reqwest::Client,
    /// The base URL, ending in `/`.
    base: Url,
    auth: HeaderValue,
    policy: RetryPolicy,
}

impl Transport {
    pub fn new(opts: &ClientOptions) -> Result<Self, Error> {
        let mut base = Url::parse(opts.base_url.trim())
            .map_err(|e| Error::InvalidArgument(format!("base URL {:?}: {e}", opts.base_url)))?;
        if !matches!(base.scheme(), "http" | "https") || base.cannot_be_a_base() {
            return Err(Error::InvalidArgument(format!("base URL {:?}: use http:// or https://", opts.base_url)));
        }
        base.set_query(None);
        base.set_fragment(None);
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        let key = opts.api_key.trim();
        if key.is_empty() {
            return Err(Error::InvalidArgument("an API key is required (uak_…)".into()));
        }
        // The message never repeats the key.
        let mut auth = HeaderValue::from_str(&format!("Bearer {key}"))
            .map_err(|_| Error::InvalidArgument("the API key holds characters a header cannot carry".into()))?;
        auth.set_sensitive(true);
        let http = reqwest::Client::builder()
            .timeout(opts.timeout)
            .user_agent(concat!("agentry-client/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(Error::Transport)?;
        Ok(Transport {
            http,
            base,
            auth,
            policy: RetryPolicy { max_retries: opts.max_retries, backoff: opts.retry_backoff },
        })
    }

    /// `path` (without a leading `/`) under the base URL.
    pub fn url(&self, path: &str) -> Result<Url, Error> {
        self.base.join(path).map_err(|e| Error::InvalidArgument(format!("{path}: {e}")))
    }

    /// A link the server sent (`@odata.nextLink`): relative to the base URL, or absolute on
    /// the same origin. A link to another origin is refused, so the key never leaves.
    pub fn resolve_link(&self, link: &str) -> Result<Url, Error> {
        let url = match Url::parse(link) {
            Ok(abs) => abs,
            Err(_) => self.url(link.trim_start_matches('/'))?,
        };
        if url.origin() != self.base.origin() {
            return Err(Error::InvalidArgument(format!("the link {link:?} leads to another server")));
        }
        Ok(url)
    }

    /// Sends `call`, retrying as the policy allows; a success answer, or the last error.
    pub async fn send(&self, call: Call<'_>) -> Result<Answer, Error> {
        let headers = self.headers(&call)?;
        let idempotent = retry::is_idempotent(&call.method, call.idempotency_key.is_some(), call.if_match.is_some());
        let mut attempt = 0u32;
        loop {
            let (retryable, retry_after, error) = match self.attempt(&call, &headers).await {
                Ok(raw) if raw.status < 400 => {
                    return Ok(Answer { status: raw.status, etag: raw.etag, body: raw.body });
                }
                Ok(raw) => {
                    let problem = Problem::from_body(raw.status, &raw.body);
                    let error = Error::from_problem(raw.status, problem, raw.retry_after);
                    (retry::is_retryable_status(raw.status), raw.retry_after, error)
                }
                Err(e) => (retry::is_retryable_transport(&e), None, Error::Transport(e)),
            };
            match self.policy.next_delay(attempt, idempotent, retryable, retry_after, rand::random::<f64>()) {
                Some(wait) => {
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
                None => return Err(error),
            }
        }
    }

    fn headers(&self, call: &Call<'_>) -> Result<HeaderMap, Error> {
        let mut h = HeaderMap::new();
        h.insert(AUTHORIZATION, self.auth.clone());
        h.insert(ACCEPT, HeaderValue::from_static("application/json, application/problem+json"));
        let value = |what: &str, v: &str| {
            HeaderValue::from_str(v).map_err(|_| Error::InvalidArgument(format!("{what} must be visible ASCII")))
        };
        if let Some(k) = call.idempotency_key {
            h.insert(HeaderName::from_static("idempotency-key"), value("the Idempotency-Key", k)?);
        }
        if let Some(t) = call.if_match {
            h.insert(IF_MATCH, value("If-Match", t)?);
        }
        if let Some((media, _)) = &call.body {
            h.insert(CONTENT_TYPE, HeaderValue::from_static(media));
        }
        Ok(h)
    }

    async fn attempt(&self, call: &Call<'_>, headers: &HeaderMap) -> Result<Raw, reqwest::Error> {
        let mut req = self.http.request(call.method.clone(), call.url.clone()).headers(headers.clone());
        if let Some((_, body)) = &call.body {
            req = req.body(body.clone());
        }
        let res = req.send().await?;
        let text = |name| res.headers().get(name).and_then(|v: &HeaderValue| v.to_str().ok()).map(str::to_string);
        let etag = text(ETAG);
        let retry_after = text(RETRY_AFTER).and_then(|v| retry::parse_retry_after(&v, chrono::Utc::now()));
        let status = res.status().as_u16();
        let body = res.bytes().await?.to_vec();
        Ok(Raw { status, etag, retry_after, body })
    }
}
