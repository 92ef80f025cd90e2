//! The HTML document around the app: head, styles, hydration scripts.

use crate::app::App;
use leptos::prelude::*;
use leptos_meta::MetaTags;

/// A small inline icon, so browsers never request a missing `/favicon.ico`.
const FAVICON: &str = "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' \
viewBox='0 0 32 32'%3E%3Crect width='32' height='32' rx='8' fill='%234f46e5'/%3E%3Cpath \
d='M9 23 16 8l7 15M12 18h8' stroke='white' stroke-width='3' fill='none' \
stroke-linecap='round' stroke-linejoin='round'/%3E%3C/svg%3E";

/// The full HTML document the server renders for every page. The server passes its
/// [`LeptosOptions`] so the hydration scripts point at `/pkg/agentry_hydrate.js`.
///
/// Light and dark themes need no script: `color-scheme` and the stylesheet's
/// `prefers-color-scheme` queries pick one before first paint.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light dark" />
                <meta name="theme-color" content="#f6f7fb" media="(prefers-color-scheme: light)" />
                <meta name="theme-color" content="#0e1117" media="(prefers-color-scheme: dark)" />
                <meta name="description" content="Agentry: a self-hosted registry for software agents." />
                <link rel="icon" href=FAVICON />
                <link rel="stylesheet" href="/pkg/main.css" />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}
