//! `/organization`: the current organization: its name (owners and admins rename it), its
//! plan and seat usage (owners change the plan after a preview), its members, and (for
//! owners and admins) the invite form with the open invitations. The
//! header's switcher chooses which organization this is. Signed-out visitors are sent to
//! log in.

mod invitations;
mod members;
mod plan;

use crate::api::{get_me, RenameOrganization};
use crate::app::use_session;
use crate::components::form::{action_error, FormStatus};
use crate::components::signed_in::RequireSignIn;
use agentry_services::model::{Me, Membership};
use agentry_services::vocab::OrgName;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

/// The organization page.
#[component]
pub fn OrganizationPage() -> impl IntoView {
    let session = use_session();
    // The page's own read of the session, refetched only by a switch: renaming or changing
    // the plan updates the page in place (focus stays where it was) and refreshes the
    // header through `session.me`.
    let me = Resource::new(move || session.switch.version().get(), |_| get_me());
    view! {
        <Title text="Organization" />
        <RequireSignIn path="/organization" />
        <Transition fallback=|| view! { <p class="muted" role="status">"Loading the organization…"</p> }>
            {move || Suspend::new(async move {
                match me.await {
                    Ok(Some(me)) => view! { <Organization me /> }.into_any(),
                    Ok(None) => ().into_any(),
                    Err(e) => view! { <p class="alert alert--error" role="alert">{e.user_message()}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Organization(me: Me) -> impl IntoView {
    let you = me.user.id;
    let org = RwSignal::new(Membership { organization: me.current_organization, role: me.role });
    let name = move || org.read().organization.name.clone();
    let role = org.get_untracked().role;
    view! {
        <div class="page-head">
            <div>
                <p class="eyebrow">"Organization"</p>
                <h1>{name}</h1>
                <p class="muted">"Your role here: " <strong>{role.as_str()}</strong></p>
            </div>
            {role.is_privileged().then(|| view! { <A href="/organization/audit" attr:class="btn btn--ghost">"Audit log"</A> })}
        </div>
        <div class="sections">
            {if role.is_admin() {
                view! { <RenameForm org /> }.into_any()
            } else {
                ().into_any()
            }}
            <plan::PlanPanel org />
            <members::MembersPanel you />
            <invitations::InvitationsPanel role />
        </div>
    }
}

/// Renames the organization: a plain form post before hydration, in place after.
#[component]
fn RenameForm(org: RwSignal<Membership>) -> impl IntoView {
    let session = use_session();
    let action = ServerAction::<RenameOrganization>::new();
    let error = action_error(action.into());
    let pending = action.pending();
    let done = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        if let Some(Ok(renamed)) = action.value().get() {
            done.set(Some(format!("Renamed to “{}”.", renamed.organization.name)));
            org.set(renamed);
            session.me.refetch();
        } else {
            done.set(None);
        }
    });
    let current = org.get_untracked().organization.name;
    let message = move || error.get().and_then(|e| e.field_message("name"));
    view! {
        <section class="panel" aria-labelledby="org-name-title">
            <h2 id="org-name-title">"Name"</h2>
            <ActionForm action attr:class="form form--inline">
                <div class="field">
                    <label for="org-name">"Organization name"</label>
                    <div class="field__row">
                        <input
                            id="org-name"
                            name="name"
                            type="text"
                            autocomplete="organization"
                            required
                            maxlength=OrgName::MAX
                            value=current
                            aria-invalid=move || message().map(|_| "true")
                            aria-describedby="org-name-error"
                        />
                        <button type="submit" class="btn btn--primary" aria-busy=move || pending.get().then_some("true")>
                            "Rename"
                        </button>
                    </div>
                    <p class="field__error" id="org-name-error">{message}</p>
                </div>
                <FormStatus error />
                <p class="notice" role="status" aria-live="polite">
                    {move || done.get().map(|n| view! { <span class="alert alert--ok">{n}</span> })}
                </p>
            </ActionForm>
        </section>
    }
}
