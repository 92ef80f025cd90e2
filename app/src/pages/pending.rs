//! `/agents/pending`: invites waiting for their owners, with an email filter, expired ones
//! on request, paging, Resend, and Cancel with a reason. The query string holds the
//! filter and page, so every view has a link.

use crate::api;
use crate::components::dialog::ConfirmDialog;
use crate::components::signed_in::RequireSignIn;
use crate::error::AppError;
use crate::format;
use crate::routing::encode;
use crate::routing::login_then;
use agentry_services::model::{InviteStatus, PendingAgentInvite as Invite, PendingAgentInvitesResponse as InvitePage};
use leptos::{prelude::*, task::spawn_local};
use leptos_meta::Title;
use leptos_router::{
    components::{Form, Redirect, A},
    hooks::use_query_map,
};

const PAGE_SIZE: i64 = 20;

/// The pending invites page. Signed-out visitors are sent to log in.
#[component]
pub fn PendingInvitesPage() -> impl IntoView {
    view! {
        <RequireSignIn path="/agents/pending" />
        <PendingInvites />
    }
}

#[component]
fn PendingInvites() -> impl IntoView {
    let query = use_query_map();
    let email = move || query.read().get("email").unwrap_or_default();
    let include_expired = move || query.read().get("include_expired").is_some_and(|v| v == "true" || v == "on");
    let offset = move || query.read().get("offset").and_then(|o| o.parse::<i64>().ok()).unwrap_or(0).max(0);
    let reload = RwSignal::new(0u32);
    let invites = Resource::new(
        move || (email(), include_expired(), offset(), reload.get()),
        |(email, include_expired, offset, _)| api::pending_invites(email, include_expired, PAGE_SIZE, offset),
    );
    let notice = RwSignal::new(None::<String>);
    let cancelling = RwSignal::new(None::<Invite>);

    view! {
        <Title text="Pending invites" />
        <div class="page-head">
            <div>
                <p class="eyebrow"><a href="/agents">"Agents"</a></p>
                <h1>"Pending invites"</h1>
                <p class="muted">"Agents registered without an account wait here until their owner confirms the emailed link."</p>
            </div>
        </div>
        <Form method="GET" action="/agents/pending" attr:class="toolbar" attr:role="search" attr:aria-label="Filter invites">
            <div class="field">
                <label for="pending-email">"Recipient email"</label>
                <input id="pending-email" name="email" type="search" prop:value=email placeholder="any" />
            </div>
            <label class="checkbox">
                <input type="checkbox" name="include_expired" value="true" prop:checked=include_expired />
                " Include expired"
            </label>
            <button type="submit" class="btn btn--ghost">"Apply"</button>
        </Form>
        <p class="notice" role="status" aria-live="polite">
            {move || notice.get().map(|n| view! { <span class="alert alert--ok">{n}</span> })}
        </p>
        <Transition fallback=|| view! { <p class="muted" role="status">"Loading invites…"</p> }>
            {move || Suspend::new(async move {
                match invites.await {
                    Ok(Some(page)) => view! {
                        <InvitesTable page=page.clone() notice cancelling reload />
                        <Pager page email=email() include_expired=include_expired() />
                    }.into_any(),
                    Ok(None) => view! { <Redirect path=login_then("/agents/pending") /> }.into_any(),
                    Err(e) if e.status() == Some(401) => view! { <Redirect path=login_then("/agents/pending") /> }.into_any(),
                    Err(e) => view! { <p class="alert alert--error" role="alert">{e.user_message()}</p> }.into_any(),
                }
            })}
        </Transition>
        {move || cancelling.get().map(|invite| view! { <CancelDialog invite cancelling notice reload /> })}
    }
}

#[component]
fn InvitesTable(
    page: InvitePage,
    notice: RwSignal<Option<String>>,
    cancelling: RwSignal<Option<Invite>>,
    reload: RwSignal<u32>,
) -> impl IntoView {
    if page.invites.is_empty() {
        return view! {
            <section class="panel panel--center empty-state" aria-labelledby="pending-empty">
                <h2 id="pending-empty">"No invites here"</h2>
                <p class="muted">"Nothing matches. Invites appear when an agent registers with an owner's email."</p>
            </section>
        }
        .into_any();
    }
    let rows = page
        .invites
        .into_iter()
        .map(|invite| {
            let pending = invite.status == InviteStatus::Pending;
            let open = pending && !invite.expired;
            let shown = if pending && invite.expired { "expired" } else { invite.status.as_str() };
            let badge = format!("badge badge--{shown}");
            let resend = {
                let invite = invite.clone();
                move |_| {
                    let invite = invite.clone();
                    spawn_local(async move {
                        match api::resend_invite(invite.agent_id).await {
                            Ok(sent) => notice.set(Some(format!(
                                "Invite for {} sent again to {}; it is valid until {}.",
                                invite.agent_name,
                                sent.email,
                                format::utc(&sent.expires_at)
                            ))),
                            Err(e) => notice.set(Some(format!("Could not resend: {}", e.user_message()))),
                        }
                        reload.update(|n| *n += 1);
                    });
                }
            };
            let cancel = {
                let invite = invite.clone();
                move |_| cancelling.set(Some(invite.clone()))
            };
            let can_act = invite.status == InviteStatus::Pending;
            view! {
                <tr>
                    <th scope="row">{invite.agent_name.clone()} <span class="muted num">{format!(" #{}", invite.agent_id)}</span></th>
                    <td class="wrap">{invite.email.clone()}</td>
                    <td><span class=badge>{shown}</span></td>
                    <td>{format::utc(&invite.created_at)}</td>
                    <td>{format::utc(&invite.expires_at)}</td>
                    <td class="num">{invite.resend_count}</td>
                    <td class="actions">
                        {can_act.then(|| view! {
                            <button type="button" class="btn btn--ghost" on:click=resend>
                                {if open { "Resend" } else { "Resend (renews)" }}
                                <span class="visually-hidden">{format!(" invite for {}", invite.agent_name)}</span>
                            </button>
                            <button type="button" class="btn btn--ghost btn--danger-text" on:click=cancel>
                                "Cancel"
                                <span class="visually-hidden">{format!(" invite for {}", invite.agent_name)}</span>
                            </button>
                        })}
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="table-wrap">
            <table class="table">
                <caption class="visually-hidden">"Invites"</caption>
                <thead>
                    <tr>
                        <th scope="col">"Agent"</th>
                        <th scope="col">"Recipient"</th>
                        <th scope="col">"Status"</th>
                        <th scope="col">"Created"</th>
                        <th scope="col">"Expires"</th>
                        <th scope="col" class="num">"Resent"</th>
                        <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
    .into_any()
}

#[component]
fn Pager(page: InvitePage, email: String, include_expired: bool) -> impl IntoView {
    let link = move |offset: i64| {
        let mut q = vec![format!("offset={offset}")];
        if !email.is_empty() {
            q.push(format!("email={}", encode(&email)));
        }
        if include_expired {
            q.push("include_expired=true".into());
        }
        format!("/agents/pending?{}", q.join("&"))
    };
    let (first, last) = (
        page.offset + 1,
        page.offset.saturating_add(i64::try_from(page.invites.len()).unwrap_or(i64::MAX)).min(page.total),
    );
    let prev = (page.offset > 0).then(|| link((page.offset - page.limit.max(1)).max(0)));
    let next = (page.offset + page.limit < page.total).then(|| link(page.offset + page.limit));
    view! {
        <nav class="pager" aria-label="Pages">
            <p class="muted">
                {if page.total == 0 { "No invites".to_string() } else { format!("{first}–{last} of {}", page.total) }}
            </p>
            {match prev {
                Some(href) => view! { <A href=href attr:class="btn btn--ghost" attr:rel="prev">"Previous"</A> }.into_any(),
                None => view! { <span class="btn btn--ghost" aria-disabled="true">"Previous"</span> }.into_any(),
            }}
            {match next {
                Some(href) => view! { <A href=href attr:class="btn btn--ghost" attr:rel="next">"Next"</A> }.into_any(),
                None => view! { <span class="btn btn--ghost" aria-disabled="true">"Next"</span> }.into_any(),
            }}
        </nav>
    }
}

#[component]
fn CancelDialog(
    invite: Invite,
    cancelling: RwSignal<Option<Invite>>,
    notice: RwSignal<Option<String>>,
    reload: RwSignal<u32>,
) -> impl IntoView {
    let pending = RwSignal::new(false);
    let error = RwSignal::new(None::<AppError>);
    let (id, name) = (invite.agent_id, invite.agent_name.clone());
    let on_confirm = Callback::new(move |reason: String| {
        let name = name.clone();
        pending.set(true);
        spawn_local(async move {
            match api::cancel_invite(id, reason).await {
                Ok(_) => {
                    notice.set(Some(format!("Invite for {name} cancelled; its seat is free again.")));
                    cancelling.set(None);
                    reload.update(|n| *n += 1);
                }
                // Closing disposes this dialog's signals, so only a failure touches them.
                Err(e) => {
                    error.set(Some(e));
                    pending.set(false);
                }
            }
        });
    });
    view! {
        <ConfirmDialog
            title=format!("Cancel the invite for {}?", invite.agent_name)
            message=format!("The link sent to {} stops working and the agent will never be registered.", invite.email)
            confirm_label="Cancel invite"
            reason_label="Reason (optional, kept in the audit log)"
            on_confirm
            on_close=Callback::new(move |_| cancelling.set(None))
            pending
            error
        />
    }
}
