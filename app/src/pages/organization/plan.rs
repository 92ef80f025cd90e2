//! The plan and seats panel: the seat meter for everyone; for owners, a plan change that
//! first shows the services' dry run (the seats before and after) and then confirms.

use crate::api::{change_plan, list_plans};
use crate::app::use_session;
use crate::error::AppError;
use agentry_services::model::{Membership, PlanChangePreview, PlanInfo, Role};
use leptos::{ev::SubmitEvent, html, prelude::*, task::spawn_local};

/// Plan, seat usage and (owners) the plan change.
#[component]
pub fn PlanPanel(org: RwSignal<Membership>) -> impl IntoView {
    let owner = org.get_untracked().role == Role::Owner;
    let notice = RwSignal::new(None::<String>);
    let heading = NodeRef::<html::H2>::new();
    let plan = move || org.read().organization.plan.clone();
    view! {
        <section class="panel" aria-labelledby="plan-title">
            <h2 id="plan-title" tabindex="-1" node_ref=heading>"Plan and seats"</h2>
            <p>"Plan: " <strong class="plan-name">{plan}</strong></p>
            <SeatMeter org />
            <p class="notice" role="status" aria-live="polite">
                {move || notice.get().map(|n| view! { <span class="alert alert--ok">{n}</span> })}
            </p>
            {if owner {
                view! { <ChangePlan org notice heading /> }.into_any()
            } else {
                view! { <p class="muted">"Only owners change the plan."</p> }.into_any()
            }}
        </section>
    }
}

/// "N of M seats used" as a native `<meter>` with the same words beside it.
#[component]
fn SeatMeter(org: RwSignal<Membership>) -> impl IntoView {
    let used = move || org.read().organization.seats_used;
    let limit = move || org.read().organization.seat_limit;
    let full = move || used() >= limit();
    view! {
        <div class="seat-meter">
            <label for="seat-meter" class="visually-hidden">"Seats used"</label>
            <meter
                id="seat-meter"
                min="0"
                max=limit
                value=used
                low=move || limit() * 3 / 4
                high=move || (limit() - 1).max(0)
                optimum="0"
                aria-describedby="seat-meter-text"
            >
                {move || format!("{} of {}", used(), limit())}
            </meter>
            <p id="seat-meter-text" class="seat-meter__text">
                <span class="seats" class:seats--full=full>{move || format!("{} of {} seats used", used(), limit())}</span>
                {move || full().then_some(" · every seat is taken")}
            </p>
        </div>
    }
}

/// Choose a plan (and for a custom one a seat limit), see what it would do, confirm.
#[component]
fn ChangePlan(
    org: RwSignal<Membership>,
    notice: RwSignal<Option<String>>,
    heading: NodeRef<html::H2>,
) -> impl IntoView {
    let session = use_session();
    let plans = Resource::new(|| (), |_| list_plans());
    let choice = RwSignal::new(org.get_untracked().organization.plan);
    let seat_limit = RwSignal::new(String::new());
    let preview = RwSignal::new(None::<PlanChangePreview>);
    let error = RwSignal::new(None::<AppError>);
    let pending = RwSignal::new(false);
    let catalogue = RwSignal::new(Vec::<PlanInfo>::new());
    let preview_button = NodeRef::<html::Button>::new();
    let cancel = Callback::new(move |_| {
        preview.set(None);
        if let Some(b) = preview_button.get_untracked() {
            _ = b.focus();
        }
    });
    let custom = move || catalogue.read().iter().any(|p| p.name == choice.get() && p.custom);

    let ask = move |dry_run: bool| {
        pending.set(true);
        error.set(None);
        spawn_local(async move {
            match change_plan(choice.get_untracked(), seat_limit.get_untracked(), dry_run).await {
                Ok(answer) if answer.dry_run => preview.set(Some(answer)),
                Ok(answer) => {
                    notice.set(Some(format!(
                        "The plan is now {}, with {} seats.",
                        answer.plan_after, answer.seat_limit_after
                    )));
                    if let Some(after) = answer.organization {
                        org.set(after);
                    }
                    preview.set(None);
                    session.me.refetch();
                    if let Some(h) = heading.get_untracked() {
                        _ = h.focus();
                    }
                }
                Err(e) => error.set(Some(e)),
            }
            pending.set(false);
        });
    };
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        preview.set(None);
        ask(true);
    };

    view! {
        <form class="form plan-form" on:submit=submit aria-labelledby="plan-change-title">
            <h3 id="plan-change-title">"Change plan"</h3>
            <Suspense fallback=|| view! { <p class="muted">"Loading plans…"</p> }>
                {move || Suspend::new(async move {
                    match plans.await {
                        Ok(list) => {
                            catalogue.set(list.value.clone());
                            let current = choice.get_untracked();
                            let options = list
                                .value
                                .into_iter()
                                .map(|p| {
                                    let seats = match p.seat_limit {
                                        Some(n) => format!("{n} seats"),
                                        None => "seats agreed".to_string(),
                                    };
                                    view! {
                                        <option value=p.name.clone() selected=p.name == current>
                                            {format!("{} ({seats})", p.name)}
                                        </option>
                                    }
                                })
                                .collect_view();
                            view! {
                                <div class="field">
                                    <label for="plan-choice">"Plan"</label>
                                    <select
                                        id="plan-choice"
                                        on:change=move |ev| {
                                            choice.set(event_target_value(&ev));
                                            preview.set(None);
                                        }
                                    >
                                        {options}
                                    </select>
                                </div>
                            }
                            .into_any()
                        }
                        Err(e) => view! { <p class="alert alert--error">{e.user_message()}</p> }.into_any(),
                    }
                })}
            </Suspense>
            <div class="field">
                <label for="plan-seats">
                    "Seat limit " <span class="muted">{move || if custom() { "(required)" } else { "(optional)" }}</span>
                </label>
                <input
                    id="plan-seats"
                    type="text"
                    inputmode="numeric"
                    autocomplete="off"
                    aria-describedby="plan-seats-hint"
                    aria-invalid=move || error.get().and_then(|e| e.field_message("seatLimit")).map(|_| "true")
                    prop:value=move || seat_limit.get()
                    on:input=move |ev| {
                        seat_limit.set(event_target_value(&ev));
                        preview.set(None);
                    }
                />
                <p class="field__hint" id="plan-seats-hint">
                    {move || if custom() {
                        "This plan's seats are agreed per organization: give the number."
                    } else {
                        "Blank: the plan's own number of seats."
                    }}
                </p>
            </div>
            <div class="form-status" role="alert">
                {move || error.get().map(|e| view! { <p class="alert alert--error">{e.user_message()}</p> })}
            </div>
            <button
                type="submit"
                class="btn btn--ghost"
                node_ref=preview_button
                disabled=move || pending.get()
                aria-busy=move || pending.get().then_some("true")
            >
                "Preview the change"
            </button>
        </form>
        {move || preview.get().map(|p| view! { <Preview preview=p pending confirm=Callback::new(move |_| ask(false)) cancel /> })}
    }
}

/// The dry run's answer, with Confirm and Cancel. Takes focus when it appears.
#[component]
fn Preview(
    preview: PlanChangePreview,
    pending: RwSignal<bool>,
    confirm: Callback<()>,
    cancel: Callback<()>,
) -> impl IntoView {
    let title = NodeRef::<html::H3>::new();
    Effect::new(move |_| {
        if let Some(h) = title.get() {
            _ = h.focus();
        }
    });
    let unchanged = preview.plan_before == preview.plan_after && preview.seat_limit_before == preview.seat_limit_after;
    let free_after = preview.seat_limit_after - preview.seats_used;
    view! {
        <section class="preview" aria-labelledby="plan-preview-title">
            <h3 id="plan-preview-title" tabindex="-1" node_ref=title>"What the change does"</h3>
            <dl class="preview__facts">
                <div>
                    <dt>"Plan"</dt>
                    <dd>{format!("{} → {}", preview.plan_before, preview.plan_after)}</dd>
                </div>
                <div>
                    <dt>"Seat limit"</dt>
                    <dd>{format!("{} → {}", preview.seat_limit_before, preview.seat_limit_after)}</dd>
                </div>
                <div>
                    <dt>"Seats in use"</dt>
                    <dd>{format!("{} ({free_after} free afterwards)", preview.seats_used)}</dd>
                </div>
            </dl>
            {unchanged.then(|| view! { <p class="muted">"This is the plan you have: nothing would change."</p> })}
            <div class="form__actions">
                <button
                    type="button"
                    class="btn btn--primary"
                    disabled=move || unchanged || pending.get()
                    aria-busy=move || pending.get().then_some("true")
                    on:click=move |_| confirm.run(())
                >
                    {format!("Change to {}", preview.plan_after)}
                </button>
                <button type="button" class="btn btn--ghost" on:click=move |_| cancel.run(())>"Cancel"</button>
            </div>
        </section>
    }
}
