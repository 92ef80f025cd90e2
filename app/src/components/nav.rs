//! The site navigation: page links, the organization switcher, the user (a link to the
//! account page) and sign-out. On phones the app root shows it in a popover behind a
//! "Menu" button (a native `popover`, so it opens before hydration too).

use crate::app::use_session;
use crate::components::form::action_error;
use agentry_services::model::Me;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_router::components::A;

/// The header navigation. Shows sign-in links, or the signed-in user's controls.
#[component]
pub fn SiteNav() -> impl IntoView {
    let session = use_session();
    view! {
        <nav class="site-nav" aria-label="Main">
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match session.me.await.ok().flatten() {
                        Some(me) => view! { <SignedInNav me /> }.into_any(),
                        None => view! { <SignedOutNav /> }.into_any(),
                    }
                })}
            </Transition>
        </nav>
    }
}

#[component]
fn SignedOutNav() -> impl IntoView {
    view! {
        <ul class="site-nav__links">
            <li>
                <A href="/agents/register">"Register an agent"</A>
            </li>
            <li>
                <A href="/login">"Log in"</A>
            </li>
            <li>
                <A href="/signup">"Sign up"</A>
            </li>
        </ul>
    }
}

#[component]
fn SignedInNav(me: Me) -> impl IntoView {
    let session = use_session();
    view! {
        <ul class="site-nav__links">
            <li>
                <A href="/agents" exact=true>"Agents"</A>
            </li>
            <li>
                <A href="/runs">"Runs"</A>
            </li>
            <li>
                <A href="/agents/register">"Register"</A>
            </li>
            <li>
                <A href="/agents/pending">"Invites"</A>
            </li>
            <li>
                <A href="/agents/tokens">"Tokens"</A>
            </li>
            <li>
                <A href="/outbox">"Outbox"</A>
            </li>
            <li>
                <A href="/organization">"Organization"</A>
            </li>
        </ul>
        <OrgSwitcher me=me.clone() />
        <div class="site-nav__user">
            <A href="/account" attr:class="site-nav__email" attr:title="Your account">
                <span class="visually-hidden">"Account: "</span>
                {me.user.email.clone()}
            </A>
            <ActionForm action=session.logout>
                <button type="submit" class="btn btn--ghost">"Sign out"</button>
            </ActionForm>
        </div>
    }
}

/// A `<select>` of the user's organizations and a "Switch" button. A plain form post
/// without JavaScript; the hydrated app switches in place and refreshes the session.
#[component]
fn OrgSwitcher(me: Me) -> impl IntoView {
    let session = use_session();
    let error = action_error(session.switch.into());
    let single = me.memberships.len() < 2;
    let current = me.current_organization.id;
    let options = me
        .memberships
        .into_iter()
        .map(|m| {
            let id = m.organization.id;
            view! {
                <option value=id.to_string() selected=id == current>
                    {m.organization.name}
                    {format!(" ({})", m.role.as_str())}
                </option>
            }
        })
        .collect_view();
    view! {
        <ActionForm action=session.switch attr:class="org-switcher">
            <label for="org-switcher" class="org-switcher__label">"Organization"</label>
            <select id="org-switcher" name="org">{options}</select>
            <button
                type="submit"
                class="btn btn--ghost"
                disabled=single
                title=single.then_some("You belong to one organization")
            >
                "Switch"
            </button>
            <span class="visually-hidden" role="status" aria-live="polite">
                {move || error.get().map(|e| e.user_message())}
            </span>
        </ActionForm>
    }
}
