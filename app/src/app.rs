//! The root component: router, session context, page frame.

use crate::api::{get_me, Logout, SwitchOrganization};
use crate::components::nav::SiteNav;
use crate::error::AppError;
use crate::pages::{
    account::AccountPage,
    agent::AgentPage,
    agents::AgentsPage,
    audit::AuditPage,
    auth::{LoginPage, SignupPage},
    home::HomePage,
    invite::InviteConfirmPage,
    join::JoinPage,
    not_found::NotFound,
    organization::OrganizationPage,
    outbox::OutboxPage,
    pending::PendingInvitesPage,
    register::RegisterPage,
    reset::{ForgotPasswordPage, ResetPasswordPage},
    runs::{RunPage, RunsPage},
    tokens::DelegatedTokensPage,
    transfers::TransfersPage,
};
use agentry_services::model::Me;
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    hooks::use_location,
    path, SsrMode,
};

/// Who is signed in, and the actions that change it. Provided to every page.
#[derive(Clone, Copy)]
pub struct Session {
    /// The signed-in user (`Ok(None)` when signed out). Refetched after every navigation,
    /// sign-out and organization switch.
    pub me: Resource<Result<Option<Me>, AppError>>,
    /// Signs out; posted by the nav's "Sign out" button.
    pub logout: ServerAction<Logout>,
    /// Switches organization; posted by the nav's switcher.
    pub switch: ServerAction<SwitchOrganization>,
}

/// The [`Session`] context that the app root provides to every page and component.
pub fn use_session() -> Session {
    expect_context::<Session>()
}

/// The Agentry web app. Rendered on the server inside [`crate::shell`], then hydrated.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Title formatter=|page: String| {
            if page.is_empty() { "Agentry".to_string() } else { format!("{page} · Agentry") }
        } />
        <Router>
            <Frame />
        </Router>
    }
}

/// Everything inside the router: session context, header, routes, footer.
#[component]
fn Frame() -> impl IntoView {
    let location = use_location();
    let logout = ServerAction::<Logout>::new();
    let switch = ServerAction::<SwitchOrganization>::new();
    // Signing in happens on a page and ends with a navigation; signing out and switching
    // happen in the nav. Following all three keeps the header in step with the cookie.
    let me =
        Resource::new(move || (location.pathname.get(), logout.version().get(), switch.version().get()), |_| get_me());
    provide_context(Session { me, logout, switch });

    let menu = NodeRef::<leptos::html::Div>::new();
    // A navigation or an organization switch from the phone menu closes it.
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        location.pathname.track();
        switch.version().track();
        if let Some(menu) = menu.get_untracked() {
            _ = menu.hide_popover();
        }
    });

    // Tests (and curious people) can tell when the client has taken over.
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        if let Some(body) = document().body() {
            _ = body.set_attribute("data-hydrated", "true");
        }
    });

    view! {
        <a class="skip-link" href="#main">"Skip to content"</a>
        <header class="site-header">
            <div class="site-header__inner">
                <a class="brand" href="/">
                    <span class="brand__mark" aria-hidden="true">"A"</span>
                    <span class="brand__name">"Agentry"</span>
                </a>
                // Phones: the navigation is a popover behind "Menu" (native, so it works
                // before hydration, closes on Escape and outside clicks). Wider screens
                // show it inline and hide the button (style/main.css).
                <button type="button" class="btn btn--ghost menu-toggle" popovertarget="site-menu">
                    "Menu"
                </button>
                <div id="site-menu" class="site-menu" popover="auto" node_ref=menu>
                    <SiteNav />
                </div>
            </div>
        </header>
        <main id="main" class="site-main" tabindex="-1">
            <Routes fallback=NotFound>
                <Route path=path!("/") view=HomePage ssr=SsrMode::Async />
                <Route path=path!("/login") view=LoginPage ssr=SsrMode::Async />
                <Route path=path!("/signup") view=SignupPage ssr=SsrMode::Async />
                <Route path=path!("/forgot-password") view=ForgotPasswordPage ssr=SsrMode::Async />
                <Route path=path!("/reset-password") view=ResetPasswordPage ssr=SsrMode::Async />
                <Route path=path!("/agents") view=AgentsPage ssr=SsrMode::Async />
                <Route path=path!("/agents/register") view=RegisterPage ssr=SsrMode::Async />
                <Route path=path!("/agents/pending") view=PendingInvitesPage ssr=SsrMode::Async />
                <Route path=path!("/agents/tokens") view=DelegatedTokensPage ssr=SsrMode::Async />
                <Route path=path!("/agents/transfers") view=TransfersPage ssr=SsrMode::Async />
                <Route path=path!("/agents/:id") view=AgentPage ssr=SsrMode::Async />
                <Route path=path!("/invite/confirm") view=InviteConfirmPage ssr=SsrMode::Async />
                <Route path=path!("/runs") view=RunsPage ssr=SsrMode::Async />
                <Route path=path!("/runs/:id") view=RunPage ssr=SsrMode::Async />
                <Route path=path!("/outbox") view=OutboxPage ssr=SsrMode::Async />
                <Route path=path!("/organization") view=OrganizationPage ssr=SsrMode::Async />
                <Route path=path!("/organization/audit") view=AuditPage ssr=SsrMode::Async />
                <Route path=path!("/account") view=AccountPage ssr=SsrMode::Async />
                <Route path=path!("/join") view=JoinPage ssr=SsrMode::Async />
            </Routes>
        </main>
        <footer class="site-footer">
            <p>"Agentry · a self-hosted registry for software agents"</p>
        </footer>
    }
}
