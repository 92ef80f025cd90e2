//! `/agents/transfers`: the ownership transfers waiting for you in this organization,
//! each with Accept and Decline.

use crate::api::{answer_transfer, my_transfers};
use crate::components::signed_in::RequireSignIn;
use crate::error::AppError;
use agentry_services::model::OwnershipTransfer;
use leptos::{prelude::*, task::spawn_local};
use leptos_meta::Title;
use leptos_router::components::A;

/// The transfer inbox.
#[component]
pub fn TransfersPage() -> impl IntoView {
    let reload = RwSignal::new(0u32);
    let list = Resource::new(move || reload.get(), |_| my_transfers());
    let notice = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<AppError>);
    view! {
        <Title text="Transfers" />
        <RequireSignIn path="/agents/transfers" />
        <div class="page-head">
            <div>
                <p class="eyebrow"><A href="/agents">"Agents"</A></p>
                <h1>"Transfers to you"</h1>
                <p class="muted">"Agents someone asked you to take over. Nothing changes until you accept."</p>
            </div>
        </div>
        <div class="form-status" role="status" aria-live="polite">
            {move || notice.get().map(|n| view! { <p class="alert alert--ok">{n}</p> })}
            {move || error.get().map(|e| view! { <p class="alert alert--error">{e.user_message()}</p> })}
        </div>
        <Transition fallback=|| view! { <p class="muted" role="status">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match list.await {
                    Ok(Some(l)) if l.value.is_empty() => view! {
                        <section class="panel panel--center empty-state"><h2>"Nothing waiting for you"</h2></section>
                    }.into_any(),
                    Ok(Some(l)) => {
                        let rows = l.value.into_iter().map(|t| view! { <Row t notice error reload /> }).collect_view();
                        view! { <ul class="rows panel" aria-label="Pending transfers">{rows}</ul> }.into_any()
                    }
                    Ok(None) => ().into_any(),
                    Err(e) => view! { <p class="alert alert--error" role="alert">{e.user_message()}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Row(
    t: OwnershipTransfer,
    notice: RwSignal<Option<String>>,
    error: RwSignal<Option<AppError>>,
    reload: RwSignal<u32>,
) -> impl IntoView {
    let (id, name) = (t.agent_id, t.agent_name.clone());
    let answer = move |accept: bool| {
        let name = name.clone();
        spawn_local(async move {
            match answer_transfer(id, accept).await {
                Ok(_) => {
                    error.set(None);
                    notice.set(Some(if accept {
                        format!("You own {name} now.")
                    } else {
                        format!("You declined {name}.")
                    }));
                    reload.update(|n| *n += 1);
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    let (a1, a2) = (answer.clone(), answer);
    let label = t.agent_name.clone();
    let label2 = t.agent_name.clone();
    view! {
        <li class="row">
            <div class="row__main">
                <A href=format!("/agents/{id}") attr:class="row__title">{t.agent_name.clone()}</A>
                <span class="row__meta">"Lapses " {t.expires_at.format("%Y-%m-%d %H:%M UTC").to_string()}</span>
                {t.message.clone().map(|m| view! { <span class="row__meta">"“" {m} "”"</span> })}
            </div>
            <div class="row__actions">
                <button type="button" class="btn btn--primary" on:click=move |_| a1(true)>
                    "Accept" <span class="visually-hidden">{format!(" {label}")}</span>
                </button>
                <button type="button" class="btn btn--ghost" on:click=move |_| a2(false)>
                    "Decline" <span class="visually-hidden">{format!(" {label2}")}</span>
                </button>
            </div>
        </li>
    }
}
