//! `/outbox`: the emails Agentry sent (or stored, without SMTP) that the user may see,
//! with their bodies and clickable links. For setups without a mail server.

use crate::api::list_outbox;
use crate::components::signed_in::RequireSignIn;
use crate::format;
use crate::routing::login_then;
use agentry_services::model::OutboxItem as Email;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;

/// The outbox page. Signed-out visitors are sent to log in.
#[component]
pub fn OutboxPage() -> impl IntoView {
    view! {
        <RequireSignIn path="/outbox" />
        <Outbox />
    }
}

#[component]
fn Outbox() -> impl IntoView {
    let emails = Resource::new(|| (), |_| list_outbox());
    view! {
        <Title text="Outbox" />
        <div class="page-head">
            <div>
                <h1>"Outbox"</h1>
                <p class="muted">"Emails to you, or to your organization. Without SMTP they stay here, links and all."</p>
            </div>
        </div>
        <Transition fallback=|| view! { <p class="muted" role="status">"Loading emails…"</p> }>
            {move || Suspend::new(async move {
                match emails.await {
                    Ok(None) => view! { <Redirect path=login_then("/outbox") /> }.into_any(),
                    Ok(Some(page)) if page.items.is_empty() => view! {
                        <section class="panel panel--center empty-state" aria-labelledby="outbox-empty">
                            <h2 id="outbox-empty">"No emails"</h2>
                            <p class="muted">"Invites and notifications show up here when they are sent."</p>
                        </section>
                    }.into_any(),
                    Ok(Some(page)) => view! {
                        <ol class="emails" aria-label="Emails, newest first">
                            {page.items.into_iter().map(|email| view! { <li><EmailCard email /></li> }).collect_view()}
                        </ol>
                    }.into_any(),
                    Err(e) if e.status() == Some(401) => view! { <Redirect path=login_then("/outbox") /> }.into_any(),
                    Err(e) => view! { <p class="alert alert--error" role="alert">{e.user_message()}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn EmailCard(email: Email) -> impl IntoView {
    let title_id = format!("email-{}", email.id);
    let labelled_by = title_id.clone();
    let badge = format!("badge badge--{}", email.status);
    let body = email.body.clone();
    view! {
        <article class="email" aria-labelledby=labelled_by>
            <header class="email__head">
                <h2 id=title_id class="email__subject">{email.subject.clone()}</h2>
                <span class=badge>{email.status.clone()}</span>
            </header>
            <p class="email__meta muted">
                "To " <strong>{email.to.clone()}</strong>
                {format!(" · {}", format::utc(&email.created_at))}
            </p>
            {email.last_error.clone().map(|e| view! {
                <p class="alert alert--error">{format!("Delivery failed after {} attempts: {e}", email.attempts)}</p>
            })}
            {match body {
                Some(text) => view! { <pre class="email__body">{linkify(&text)}</pre> }.into_any(),
                None => view! { <p class="muted">"The body was wiped after delivery."</p> }.into_any(),
            }}
        </article>
    }
}

/// Text with every `http(s)://…` turned into a link.
fn linkify(text: &str) -> impl IntoView {
    split_links(text)
        .into_iter()
        .map(|(part, is_link)| {
            if is_link {
                let href = part.clone();
                view! { <a href=href rel="noopener noreferrer">{part}</a> }.into_any()
            } else {
                part.into_any()
            }
        })
        .collect_view()
}

/// Splits `text` into `(piece, is_link)`: links run from `http://` or `https://` to the
/// next whitespace, less trailing punctuation.
fn split_links(text: &str) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = [rest.find("https://"), rest.find("http://")].into_iter().flatten().min() {
        let after = &rest[start..];
        let mut end = after.find(char::is_whitespace).unwrap_or(after.len());
        while end > 0 && after[..end].ends_with(['.', ',', ';', ':', ')', '>', '"', '\'']) {
            end -= 1;
        }
        if start > 0 {
            out.push((rest[..start].to_string(), false));
        }
        out.push((after[..end].to_string(), true));
        rest = &after[end..];
    }
    if !rest.is_empty() {
        out.push((rest.to_string(), false));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_found_without_trailing_punctuation() {
        let parts = split_links("Confirm: http://h/invite/confirm?token=inv_1. Thanks");
        assert_eq!(
            parts,
            vec![
                ("Confirm: ".to_string(), false),
                ("http://h/invite/confirm?token=inv_1".to_string(), true),
                (". Thanks".to_string(), false),
            ]
        );
        assert_eq!(split_links("no links"), vec![("no links".to_string(), false)]);
    }
}
