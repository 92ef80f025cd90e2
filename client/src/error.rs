//! Typed errors: every error answer of the server is an RFC 9457 problem
//! (`application/problem+json`) whose `type` ends in a code of Agentry's catalogue
//! (docs/ERRORS.md); this module maps it onto [`Error`] by status.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::fmt;
use std::time::Duration;

/// One invalid input, as listed in a problem's `errors`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    /// The field as it appears in the request (`name`, `$filter`,
    /// `/workflowStructure/steps/2/kind`).
    #[serde(default)]
    pub field: String,
    /// What is wrong with it.
    #[serde(default)]
    pub message: String,
}

/// An RFC 9457 problem document as the server sends it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Problem {
    /// `https://agentry.dev/problems/{code}`.
    #[serde(rename = "type", default)]
    pub kind: String,
    /// A short summary of the kind.
    #[serde(default)]
    pub title: String,
    /// The HTTP status.
    #[serde(default)]
    pub status: u16,
    /// What went wrong this time.
    #[serde(default)]
    pub detail: String,
    /// The invalid fields, for validation problems.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// Seconds to wait, for 429.
    #[serde(rename = "retryAfter", default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
    /// Members some codes add: `param`, `position`, `expected` and `didYouMean` for
    /// `invalid_query_option`, `field` for `immutable_field`, …
    #[serde(flatten)]
    pub extensions: Map<String, Value>,
}

impl Problem {
    /// The catalogue code: the last segment of `type` (`agent_not_found`), if any.
    pub fn code(&self) -> Option<&str> {
        self.kind.rsplit('/').next().filter(|c| !c.is_empty() && *c != "about:blank")
    }

    /// Reads an error answer's body: the problem it carries, or one made up from the status
    /// and the start of the body when it is not a problem (a proxy's HTML page, say).
    pub fn from_body(status: u16, body: &[u8]) -> Problem {
        match serde_json::from_slice::<Problem>(body) {
            Ok(mut p) if !p.kind.is_empty() || !p.title.is_empty() || !p.detail.is_empty() => {
                p.status = status;
                p
            }
            _ => {
                let text = String::from_utf8_lossy(body);
                let detail: String = text.trim().chars().take(200).collect();
                Problem {
                    kind: "about:blank".into(),
                    title: reqwest::StatusCode::from_u16(status)
                        .ok()
                        .and_then(|s| s.canonical_reason())
                        .unwrap_or("Error")
                        .into(),
                    status,
                    detail,
                    ..Problem::default()
                }
            }
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}", self.title, self.status)?;
        if let Some(code) = self.code() {
            write!(f, " {code}")?;
        }
        f.write_str(")")?;
        // A detail that only repeats the fields' messages is left to the field lines.
        let repeats = !self.errors.is_empty() && self.errors.iter().all(|e| self.detail.contains(&e.message));
        if !self.detail.is_empty() && !repeats {
            write!(f, ": {}", self.detail)?;
        }
        for e in &self.errors {
            write!(f, "\n  {}: {}", e.field, e.message)?;
        }
        Ok(())
    }
}

/// Everything a call can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// 401: no valid credential (a wrong, revoked or expired API key).
    #[error("authentication failed: {0}")]
    Authentication(Box<Problem>),
    /// 403: the credential may not do this (`not_allowed`, …).
    #[error("forbidden: {0}")]
    Forbidden(Box<Problem>),
    /// 404: no such agent (or endpoint) visible to the caller.
    #[error("not found: {0}")]
    NotFound(Box<Problem>),
    /// 400 or 422: the request breaks a rule; `fields` lists each invalid input (for a
    /// query option, the option: `$filter`).
    #[error("invalid request: {problem}")]
    Validation {
        /// The problem.
        problem: Box<Problem>,
        /// The invalid fields.
        fields: Vec<FieldError>,
    },
    /// 409: the agent's state forbids this (`slug_taken`, `agent_deleted`,
    /// `nothing_to_deploy`, …).
    #[error("conflict: {0}")]
    Conflict(Box<Problem>),
    /// 412: `If-Match` named another version; read the agent again.
    #[error("precondition failed: {0}")]
    PreconditionFailed(Box<Problem>),
    /// 429: too many requests (after any retries); wait `retry_after`.
    #[error("rate limited: {problem}")]
    RateLimited {
        /// The problem.
        problem: Box<Problem>,
        /// The server's `Retry-After`.
        retry_after: Option<Duration>,
    },
    /// 5xx (after any retries).
    #[error("server error: {0}")]
    Server(Box<Problem>),
    /// Any other error status (405, 408, 410, 413, 415, …).
    #[error("HTTP {status}: {problem}")]
    Api {
        /// The HTTP status.
        status: u16,
        /// The problem.
        problem: Box<Problem>,
    },
    /// The server could not be reached, or the connection failed or timed out (after any
    /// retries).
    /// (The message leaves the details to the source, so that a report of the whole chain,
    /// like anyhow's `{:#}`, says each thing once.)
    #[error("the request did not complete")]
    Transport(#[source] reqwest::Error),
    /// A success answer whose body is not what the API documents.
    #[error("unexpected answer (HTTP {status}): {message}")]
    Decode {
        /// The HTTP status.
        status: u16,
        /// What did not fit.
        message: String,
    },
    /// A bad argument or option, found before anything was sent (an unusable base URL,
    /// an API key that cannot be a header, a field name that is not an identifier, a
    /// next link to another server).
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
}

impl Error {
    /// The error of an answer with `status` and `problem`; `retry_after` from its header.
    pub fn from_problem(status: u16, problem: Problem, retry_after: Option<Duration>) -> Error {
        let problem = Box::new(problem);
        match status {
            401 => Error::Authentication(problem),
            403 => Error::Forbidden(problem),
            404 => Error::NotFound(problem),
            400 | 422 => {
                let mut fields = problem.errors.clone();
                // `immutable_field` names its field as a member rather than in `errors`.
                if fields.is_empty() {
                    if let Some(name) = problem.extensions.get("field").and_then(Value::as_str) {
                        fields.push(FieldError { field: name.to_string(), message: problem.detail.clone() });
                    }
                }
                Error::Validation { problem, fields }
            }
            409 => Error::Conflict(problem),
            412 => Error::PreconditionFailed(problem),
            429 => {
                let retry_after = retry_after.or(problem.retry_after.map(Duration::from_secs));
                Error::RateLimited { problem, retry_after }
            }
            500..=599 => Error::Server(problem),
            _ => Error::Api { status, problem },
        }
    }

    /// The problem the server answered with, if it answered.
    pub fn problem(&self) -> Option<&Problem> {
        match self {
            Error::Authentication(p)
            | Error::Forbidden(p)
            | Error::NotFound(p)
            | Error::Conflict(p)
            | Error::PreconditionFailed(p)
            | Error::Server(p) => Some(p),
            Error::Validation { problem, .. } | Error::RateLimited { problem, .. } | Error::Api { problem, .. } => {
                Some(problem)
            }
            Error::Transport(_) | Error::Decode { .. } | Error::InvalidArgument(_) => None,
        }
    }

    /// The HTTP status, if the server answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Decode { status, .. } => Some(*status),
            Error::Transport(e) => e.status().map(|s| s.as_u16()),
            other => other.problem().map(|p| p.status),
        }
    }

    /// The catalogue code (`agent_not_found`, `slug_taken`, …), if the server answered
    /// with a problem. Branch on this, never on the words.
    pub fn code(&self) -> Option<&str> {
        self.problem().and_then(Problem::code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn mapped(status: u16, body: Value) -> Error {
        let bytes = serde_json::to_vec(&body).unwrap();
        Error::from_problem(status, Problem::from_body(status, &bytes), None)
    }

    fn problem(code: &str, status: u16) -> Value {
        json!({"type": format!("https://agentry.dev/problems/{code}"), "title": "T", "status": status, "detail": "D"})
    }

    #[test]
    fn statuses_map_to_variants() {
        assert!(matches!(mapped(401, problem("unauthorized", 401)), Error::Authentication(_)));
        assert!(matches!(mapped(403, problem("not_allowed", 403)), Error::Forbidden(_)));
        assert!(matches!(mapped(404, problem("agent_not_found", 404)), Error::NotFound(_)));
        assert!(matches!(mapped(409, problem("slug_taken", 409)), Error::Conflict(_)));
        assert!(matches!(mapped(412, problem("precondition_failed", 412)), Error::PreconditionFailed(_)));
        assert!(matches!(mapped(500, problem("internal", 500)), Error::Server(_)));
        assert!(matches!(mapped(503, problem("not_ready", 503)), Error::Server(_)));
        let e = mapped(415, problem("unsupported_media_type", 415));
        assert!(matches!(&e, Error::Api { status: 415, .. }), "{e:?}");
        assert_eq!((e.status(), e.code()), (Some(415), Some("unsupported_media_type")));
    }

    #[test]
    fn validation_carries_the_fields() {
        let mut body = problem("validation", 400);
        body["errors"] =
            json!([{"field": "name", "message": "Name is required."}, {"field": "email", "message": "Bad."}]);
        let e = mapped(400, body);
        let Error::Validation { fields, problem: p } = &e else { panic!("{e:?}") };
        let names: Vec<&str> = fields.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(names, ["name", "email"]);
        assert_eq!(p.code(), Some("validation"));
        assert_eq!(e.to_string(), "invalid request: T (400 validation): D\n  name: Name is required.\n  email: Bad.");
        // A detail made of the fields' messages is not said twice.
        let mut body = problem("validation", 400);
        body["detail"] = json!("Name is required. Bad.");
        body["errors"] =
            json!([{"field": "name", "message": "Name is required."}, {"field": "email", "message": "Bad."}]);
        let e = mapped(400, body);
        assert_eq!(e.to_string(), "invalid request: T (400 validation)\n  name: Name is required.\n  email: Bad.");

        // OData errors keep their members.
        let mut body = problem("invalid_query_option", 400);
        body["errors"] = json!([{"field": "$filter", "message": "Unknown field nmae."}]);
        body["param"] = json!("$filter");
        body["position"] = json!(0);
        body["didYouMean"] = json!("name");
        let e = mapped(400, body);
        let p = e.problem().unwrap();
        assert_eq!(
            (p.extensions["param"].as_str(), p.extensions["didYouMean"].as_str()),
            (Some("$filter"), Some("name"))
        );
        assert!(matches!(&e, Error::Validation { fields, .. } if fields[0].field == "$filter"));

        // A 422 naming its field as a member.
        let mut body = problem("immutable_field", 422);
        body["field"] = json!("type");
        let Error::Validation { fields, .. } = mapped(422, body) else { panic!() };
        assert_eq!(fields, [FieldError { field: "type".into(), message: "D".into() }]);
    }

    #[test]
    fn rate_limits_carry_the_wait() {
        let mut body = problem("rate_limited", 429);
        body["retryAfter"] = json!(12);
        let e = mapped(429, body.clone());
        assert!(matches!(e, Error::RateLimited { retry_after: Some(d), .. } if d == Duration::from_secs(12)));
        // The header wins over the body.
        let bytes = serde_json::to_vec(&body).unwrap();
        let e = Error::from_problem(429, Problem::from_body(429, &bytes), Some(Duration::from_secs(3)));
        assert!(matches!(e, Error::RateLimited { retry_after: Some(d), .. } if d == Duration::from_secs(3)));
    }

    #[test]
    fn non_problem_bodies_still_make_problems() {
        let p = Problem::from_body(502, b"<html>Bad gateway</html>");
        assert_eq!((p.status, p.title.as_str(), p.code()), (502, "Bad Gateway", None));
        assert_eq!(p.detail, "<html>Bad gateway</html>");
        let p = Problem::from_body(500, &[b'x'; 1000]);
        assert_eq!(p.detail.len(), 200);
        // A problem whose status member disagrees with the answer: the answer's wins.
        let p = Problem::from_body(
            404,
            br#"{"type":"https://agentry.dev/problems/not_found","title":"Not found","status":400}"#,
        );
        assert_eq!(p.status, 404);
        // Unknown members are kept, known ones typed.
        let p = Problem::from_body(409, br#"{"type":"x/member_owns_agents","title":"t","agents":[1,2]}"#);
        assert_eq!((p.code(), p.extensions["agents"].clone()), (Some("member_owns_agents"), json!([1, 2])));
    }
}
