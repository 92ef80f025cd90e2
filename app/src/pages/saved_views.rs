//! The directory's saved views: the viewer's named queries as links, "Save this view"
//! (the current URL's query under a name; the same name replaces it), and Delete.

use crate::api::{delete_view, save_view, saved_views};
use crate::error::AppError;
use agentry_services::model::{SaveViewRequest, ViewSpec, VIEW_NAME_MAX};
use leptos::{prelude::*, task::spawn_local};
use leptos_router::components::A;

/// Saved views of `/agents`; `query` is the current view's URL query (`?…` or empty).
#[component]
pub fn SavedViews(#[prop(into)] query: Signal<String>) -> impl IntoView {
    let reload = RwSignal::new(0u32);
    let views = Resource::new(move || reload.get(), |_| saved_views());
    let name = RwSignal::new(String::new());
    let error = RwSignal::new(None::<AppError>);
    let notice = RwSignal::new(None::<String>);
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (n, q) = (name.get_untracked(), query.get_untracked());
        // The services' own rule, before anything is sent.
        if let Err(fields) =
            ViewSpec::parse(&SaveViewRequest { list: "agents".into(), name: n.clone(), query: q.clone() })
        {
            error.set(Some(AppError::from(fields)));
            return;
        }
        spawn_local(async move {
            match save_view(n, q).await {
                Ok(v) => {
                    error.set(None);
                    notice.set(Some(format!("Saved as “{}”.", v.name)));
                    name.set(String::new());
                    reload.update(|r| *r += 1);
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    let remove = move |id: i64, label: String| {
        spawn_local(async move {
            match delete_view(id).await {
                Ok(()) => {
                    notice.set(Some(format!("Deleted “{label}”.")));
                    reload.update(|r| *r += 1);
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    view! {
        <section class="panel saved-views" aria-labelledby="saved-views-title">
            <h2 id="saved-views-title">"Saved views"</h2>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    let list = views.await.unwrap_or_default();
                    if list.is_empty() {
                        return view! { <p class="muted">"None yet: set the filters, then save the view."</p> }.into_any();
                    }
                    let items = list
                        .into_iter()
                        .map(|v| {
                            let label = v.name.clone();
                            let (id, hidden, href) = (v.id, format!(" view {}", v.name), format!("/agents{}", v.query));
                            view! {
                                <li>
                                    <A href=href>{v.name}</A>
                                    <button type="button" class="btn btn--ghost btn--small" on:click=move |_| remove(id, label.clone())>
                                        "Delete" <span class="visually-hidden">{hidden}</span>
                                    </button>
                                </li>
                            }
                        })
                        .collect_view();
                    view! { <ul class="saved-views__list">{items}</ul> }.into_any()
                })}
            </Transition>
            <form class="form form--inline" on:submit=save>
                <div class="field">
                    <label for="view-name">"Save this view as"</label>
                    <input id="view-name" required maxlength=VIEW_NAME_MAX autocomplete="off" aria-describedby="view-name-error"
                        prop:value=name on:input=move |ev| name.set(event_target_value(&ev)) />
                    <p class="field__error" id="view-name-error">{move || error.get().and_then(|e| e.field_message("name"))}</p>
                </div>
                <button type="submit" class="btn btn--ghost">"Save view"</button>
            </form>
            <div role="status" aria-live="polite">
                {move || notice.get().map(|n| view! { <p class="alert alert--ok">{n}</p> })}
                {move || error.get().filter(|e| e.field_message("name").is_none()).map(|e| view! { <p class="alert alert--error">{e.user_message()}</p> })}
            </div>
        </section>
    }
}
