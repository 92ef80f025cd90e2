//! Building and running the application: settings → services → router → listener.

use crate::client_ip::TrustedProxies;
use crate::middleware::{csrf, request_meta};
use crate::problem::problemify;
use crate::routes::{
    agents, audit, auth, docs, health, invitations, keys, organizations, outbox, registration, run_events, runs,
    security, transfers, variations, views, webhooks,
};
use crate::web;
use agentry_services::mailer::{Mailer, Worker};
use agentry_services::Services;
use axum::extract::{DefaultBodyLimit, FromRef, Request};
use axum::http::{header, HeaderName, HeaderValue};
use axum::routing::{delete, get, post};
use axum::Router;
use leptos::config::LeptosOptions;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, RequestId, SetRequestIdLayer};
use tower_http::sensitive_headers::SetSensitiveRequestHeadersLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

/// Everything the server needs to start.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Listen address; port 0 picks a free port.
    pub addr: SocketAddr,
    /// `sqlite://…` or `postgres://…`.
    pub database_url: String,
    /// Folder with the built assets (`pkg/`).
    pub site_root: PathBuf,
    /// Per-request time limit.
    pub request_timeout: Duration,
    /// Largest accepted body, in bytes.
    pub max_body: usize,
    /// Reverse proxies whose forwarding headers name the client (empty: none).
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Services configuration.
    pub services: agentry_services::Config,
}

/// Shared state of every handler.
#[derive(Clone, FromRef)]
pub struct AppState {
    /// The services layer.
    pub services: Services,
    /// Leptos rendering options.
    pub leptos_options: LeptosOptions,
    /// `scheme://host[:port]` of the public URL, for CSRF checks.
    pub public_origin: Arc<str>,
    /// How long a request may take (long polls end before it).
    pub request_timeout: Duration,
}

/// A bound, ready-to-run server.
pub struct Application {
    listener: TcpListener,
    addr: SocketAddr,
    router: Router,
    services: Services,
    /// The SMTP sender, when `smtp_url` is set: a worker delivers the outbox with it.
    mailer: Option<Mailer>,
    mail_poll_interval: Duration,
}

/// How often the mail worker looks for due emails when nothing wakes it.
pub const DEFAULT_MAIL_POLL_INTERVAL: Duration = Duration::from_secs(5);

impl Application {
    /// Opens storage, builds the router, and binds the listener.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        // A bad SMTP URL fails the start, not every delivery.
        let mailer = match &settings.services.smtp_url {
            Some(url) => Some(Mailer::from_url(url, &settings.services.mail_from)?),
            None => None,
        };
        let services = Services::open(&settings.database_url, settings.services.clone()).await?;
        let listener = TcpListener::bind(settings.addr).await?;
        let addr = listener.local_addr()?;
        let state = AppState {
            public_origin: origin_of(&services.config().public_url).into(),
            leptos_options: web::leptos_options(&settings.site_root),
            services: services.clone(),
            request_timeout: settings.request_timeout,
        };
        let router = router(state, &settings);
        Ok(Self { listener, addr, router, services, mailer, mail_poll_interval: DEFAULT_MAIL_POLL_INTERVAL })
    }

    /// The bound address (useful with port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The services, for tests that need to look behind the API.
    pub fn services(&self) -> &Services {
        &self.services
    }

    /// Sets how often the mail worker polls the outbox (it is also woken when an email is
    /// queued in this process).
    pub fn with_mail_poll_interval(mut self, interval: Duration) -> Self {
        self.mail_poll_interval = interval;
        self
    }

    /// Serves until Ctrl-C or SIGTERM, then finishes in-flight requests. With SMTP
    /// configured, a mail worker delivers the outbox meanwhile and stops with the server.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let worker = self.mailer.map(|m| Worker::spawn(self.services.clone(), m, self.mail_poll_interval));
        let sweeps = crate::housekeeping::spawn(self.services.clone());
        let webhooks = crate::housekeeping::spawn_webhooks(self.services.clone());
        let listen = tokio::spawn({
            let services = self.services.clone();
            async move { services.listen_for_runs().await }
        });
        let services = self.services.clone();
        let stopping = async move {
            shutdown_signal().await;
            // Long polls and event streams end, so the graceful shutdown does not wait on them.
            services.stop();
        };
        let served = axum::serve(self.listener, self.router.into_make_service_with_connect_info::<SocketAddr>())
            .with_graceful_shutdown(stopping)
            .await;
        sweeps.abort();
        webhooks.abort();
        listen.abort();
        if let Some(worker) = worker {
            worker.stop().await;
        }
        served
    }
}

fn router(state: AppState, settings: &Settings) -> Router {
    let api = Router::new()
        .route("/api/v1/auth/signup", post(auth::signup))
        .route("/api/v1/auth/login", post(auth::login))
        .route("/api/v1/auth/logout", post(auth::logout))
        .route("/api/v1/me", get(auth::me))
        .route("/api/v1/me/organization", post(auth::switch_organization))
        .route("/api/v1/api-keys", post(keys::create).get(keys::list))
        .route("/api/v1/api-keys/{id}", delete(keys::revoke))
        .merge(registration::router())
        .merge(outbox::router())
        .merge(organizations::router())
        .merge(invitations::router())
        .merge(audit::router())
        .merge(security::router())
        .merge(agents::router("/api/v1/agents"))
        .merge(agents::router("/api/agents"))
        .merge(variations::router("/api/v1/agents"))
        .merge(variations::router("/api/agents"))
        .merge(transfers::router("/api/v1/agents"))
        .merge(transfers::router("/api/agents"))
        .merge(transfers::inbox_router())
        .merge(views::router())
        .merge(runs::router())
        .merge(run_events::router())
        .merge(webhooks::router())
        .route("/api/openapi.json", get(docs::openapi_json))
        .route("/api/docs", get(docs::reference))
        .route("/api", get(docs::reference))
        .route("/api/{*rest}", axum::routing::any(crate::problem::not_found));
    let x_request_id = HeaderName::from_static("x-request-id");
    let layers = ServiceBuilder::new()
        .layer(SetSensitiveRequestHeadersLayer::new([
            header::AUTHORIZATION,
            header::COOKIE,
            HeaderName::from_static("x-api-key"),
        ]))
        .layer(SetRequestIdLayer::new(x_request_id.clone(), MakeRequestUuid))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request| {
            // The path only: query strings can carry invite tokens.
            let id = req.extensions().get::<RequestId>().and_then(|r| r.header_value().to_str().ok()).unwrap_or("");
            tracing::info_span!("request", method = %req.method(), path = req.uri().path(), request_id = id)
        }))
        .layer(PropagateRequestIdLayer::new(x_request_id))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .layer(SetResponseHeaderLayer::if_not_present(header::REFERRER_POLICY, HeaderValue::from_static("same-origin")))
        .layer(axum::middleware::from_fn(problemify))
        .layer(CatchPanicLayer::new())
        .layer(TimeoutLayer::with_status_code(axum::http::StatusCode::REQUEST_TIMEOUT, settings.request_timeout))
        .layer(DefaultBodyLimit::max(settings.max_body))
        .layer(axum::middleware::from_fn_with_state(
            Arc::new(TrustedProxies::new(settings.trusted_proxies.clone())),
            request_meta,
        ))
        .layer(axum::middleware::from_fn_with_state(state.clone(), csrf));
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/metrics", get(health::metrics))
        .route("/readyz", get(health::readyz))
        .merge(api)
        .merge(web::router(&state, &settings.site_root))
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), health::track))
        .fallback(web::not_found_page)
        .layer(layers)
        .with_state(state)
}

/// `https://example.com:8443/x` → `https://example.com:8443`.
fn origin_of(url: &str) -> String {
    let rest =
        url.split_once("://").map(|(s, r)| (s, r.split('/').next().unwrap_or(""))).map(|(s, h)| format!("{s}://{h}"));
    rest.unwrap_or_else(|| url.to_string())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down");
}
