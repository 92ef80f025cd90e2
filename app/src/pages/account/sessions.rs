//! The sessions panel: where the user is signed in, with "Sign out" for each other
//! session and for all of them at once. Both are plain forms, so they work before
//! hydration too.

use crate::api::{list_sessions, ChangePassword, RevokeOtherSessions, RevokeSession};
use crate::error::AppError;
use crate::format;
use agentry_services::model::SessionInfo;
use leptos::form::ActionForm;
use leptos::{html, prelude::*};

/// The user's sessions. Refetched after every sign-out here and after a password change.
#[component]
pub fn SessionsPanel(password: ServerAction<ChangePassword>) -> impl IntoView {
    let revoke = ServerAction::<RevokeSession>::new();
    let revoke_others = ServerAction::<RevokeOtherSessions>::new();
    let sessions = Resource::new(
        move || (revoke.version().get(), revoke_others.version().get(), password.version().get()),
        |_| list_sessions(),
    );
    let heading = NodeRef::<html::H2>::new();
    let notice = RwSignal::new(None::<Result<String, AppError>>);
    // After a sign-out the row is gone: say what happened and put focus on the heading.
    let announce = move |message: Option<Result<String, AppError>>| {
        if message.is_some() {
            notice.set(message);
            if let Some(h) = heading.get_untracked() {
                _ = h.focus();
            }
        }
    };
    Effect::new(move |_| announce(revoke.value().get().map(|r| r.map(|()| "That session was signed out.".into()))));
    Effect::new(move |_| {
        announce(revoke_others.value().get().map(|r| {
            r.map(|done| match done.revoked {
                0 => "There were no other sessions to sign out.".to_string(),
                1 => "One other session was signed out.".to_string(),
                n => format!("{n} other sessions were signed out."),
            })
        }))
    });
    view! {
        <section class="panel" aria-labelledby="sessions-title">
            <h2 id="sessions-title" tabindex="-1" node_ref=heading>"Sessions"</h2>
            <p class="muted">"Everywhere you are signed in. Sign out a session you do not recognise, then change your password."</p>
            <p class="notice" role="status" aria-live="polite">
                {move || notice.get().map(|n| match n {
                    Ok(n) => view! { <span class="alert alert--ok">{n}</span> }.into_any(),
                    Err(e) => view! { <span class="alert alert--error">{e.user_message()}</span> }.into_any(),
                })}
            </p>
            <Transition fallback=|| view! { <p class="muted" role="status">"Loading sessions…"</p> }>
                {move || Suspend::new(async move {
                    match sessions.await {
                        Ok(Some(list)) => {
                            let others = list.value.iter().filter(|s| !s.current).count();
                            view! {
                                <ul class="rows" aria-labelledby="sessions-title">
                                    {list.value.into_iter().map(|s| view! { <SessionItem session=s revoke /> }).collect_view()}
                                </ul>
                                <ActionForm action=revoke_others attr:class="form__actions">
                                    <button type="submit" class="btn btn--ghost btn--danger-text" disabled=others == 0>
                                        "Sign out all other sessions"
                                    </button>
                                </ActionForm>
                            }
                            .into_any()
                        }
                        Ok(None) => ().into_any(),
                        Err(e) => view! { <p class="alert alert--error" role="alert">{e.user_message()}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn SessionItem(session: SessionInfo, revoke: ServerAction<RevokeSession>) -> impl IntoView {
    let agent = session.user_agent.clone().filter(|u| !u.is_empty()).unwrap_or_else(|| "Unknown browser".into());
    let last_used = session.last_used_at.as_ref().map(format::utc).unwrap_or_else(|| "not yet".into());
    let ip = session.ip.clone().unwrap_or_else(|| "unknown".into());
    view! {
        <li class="row" class:row--current=session.current>
            <div class="row__main">
                <strong class="row__title row__title--wrap">{agent}</strong>
                {session.current.then(|| view! { <span class="badge badge--you">"this session"</span> })}
                <dl class="row__facts">
                    <div><dt>"Signed in"</dt><dd>{format::utc(&session.created_at)}</dd></div>
                    <div><dt>"Last used"</dt><dd>{last_used}</dd></div>
                    <div><dt>"IP address"</dt><dd>{ip}</dd></div>
                </dl>
            </div>
            <div class="row__actions">
                {(!session.current).then(|| view! {
                    <ActionForm action=revoke>
                        <input type="hidden" name="id" value=session.id />
                        <button type="submit" class="btn btn--ghost btn--danger-text">
                            "Sign out" <span class="visually-hidden">{format!(" the session signed in {}", format::utc(&session.created_at))}</span>
                        </button>
                    </ActionForm>
                })}
            </div>
        </li>
    }
}
