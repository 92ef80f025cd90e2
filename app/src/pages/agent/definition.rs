//! The Definition tab (the draft as JSON, checked in the browser with the services' own
//! parser, its workflow drawn as a graph with each problem at its step, the diff against
//! the active version, save and deploy) and the Versions tab (restore, activate).

use super::diff::{lines, Line};
use super::Ctl;
use crate::api::{AgentOp, AgentView};
use agentry_services::definition::{parse_definition, topo_layers, Edge, Step, StepKind, WorkflowStructure};
use agentry_services::model::VariationDetail;
use agentry_services::model::{VERSION_NAME_MAX, VERSION_NOTES_MAX};
use leptos::prelude::*;
use serde_json::Value;

fn pretty(d: &VariationDetail) -> String {
    serde_json::to_string_pretty(d).unwrap_or_default()
}

/// The workflow of a draft as typed so far, read leniently so that even a broken draft is
/// drawn: `(steps with their kind as written, structure for the layout)`.
fn lenient(raw: &Value) -> (Vec<(String, String)>, WorkflowStructure) {
    let ws = &raw["workflowStructure"];
    let steps: Vec<(String, String)> = ws["steps"]
        .as_array()
        .map(|s| {
            s.iter()
                .map(|st| {
                    let id = st["id"].as_str().unwrap_or("?").to_string();
                    (id, st["kind"].as_str().unwrap_or("?").to_string())
                })
                .collect()
        })
        .unwrap_or_default();
    let edges = ws["edges"]
        .as_array()
        .map(|e| {
            e.iter()
                .map(|ed| Edge {
                    from: ed["from"].as_str().unwrap_or_default().to_string(),
                    to: ed["to"].as_str().unwrap_or_default().to_string(),
                })
                .collect()
        })
        .unwrap_or_default();
    let typed = steps
        .iter()
        .map(|(id, kind)| Step {
            id: id.clone(),
            kind: StepKind::parse(kind).unwrap_or(StepKind::Prompt),
            config: Value::Null,
        })
        .collect();
    (steps, WorkflowStructure { steps: typed, edges })
}

/// The step a problem's JSON pointer is about: `/workflowStructure/steps/2/kind` → 2; an
/// edge's problem (`/workflowStructure/edges/1/to`) is shown at the step it leaves.
fn step_of(pointer: &str, ws: &WorkflowStructure) -> Option<usize> {
    if let Some(rest) = pointer.strip_prefix("/workflowStructure/steps/") {
        return rest.split('/').next()?.parse().ok();
    }
    let edge: usize = pointer.strip_prefix("/workflowStructure/edges/")?.split('/').next()?.parse().ok()?;
    let from = &ws.edges.get(edge)?.from;
    ws.steps.iter().position(|s| &s.id == from)
}

/// The workflow as an SVG: layers left to right, edges as arrows; a step with a problem
/// is outlined and its messages listed under the graph.
#[component]
fn Graph(raw: Value, problems: Vec<(String, String)>) -> impl IntoView {
    let (steps, ws) = lenient(&raw);
    let layers = topo_layers(&ws);
    let (w, h, gap_x, gap_y) = (150.0_f64, 44.0_f64, 60.0_f64, 20.0_f64);
    let mut pos = vec![(0.0_f64, 0.0_f64); steps.len()];
    let mut tallest = 0usize;
    for (li, layer) in layers.iter().enumerate() {
        tallest = tallest.max(layer.len());
        for (ri, &s) in layer.iter().enumerate() {
            if let Some(p) = pos.get_mut(s) {
                *p = (
                    f64::from(u32::try_from(li).unwrap_or(0)) * (w + gap_x) + 10.0,
                    f64::from(u32::try_from(ri).unwrap_or(0)) * (h + gap_y) + 10.0,
                );
            }
        }
    }
    let width = f64::from(u32::try_from(layers.len()).unwrap_or(1)) * (w + gap_x) + 10.0;
    let height = f64::from(u32::try_from(tallest.max(1)).unwrap_or(1)) * (h + gap_y) + 10.0;
    let index = |id: &str| steps.iter().position(|(s, _)| s == id);
    let bad: Vec<usize> = problems.iter().filter_map(|(f, _)| step_of(f, &ws)).collect();
    let arrows = ws
        .edges
        .iter()
        .filter_map(|e| {
            let (a, b) = (pos.get(index(&e.from)?)?, pos.get(index(&e.to)?)?);
            Some(view! { <line x1=a.0 + w y1=a.1 + h / 2.0 x2=b.0 y2=b.1 + h / 2.0 class="dag__edge" marker-end="url(#arrow)" /> })
        })
        .collect_view();
    let nodes = steps
        .iter()
        .enumerate()
        .map(|(i, (id, kind))| {
            let (x, y) = pos.get(i).copied().unwrap_or_default();
            let class = if bad.contains(&i) { "dag__node dag__node--bad" } else { "dag__node" };
            view! {
                <g class=class>
                    <rect x=x y=y width=w height=h rx="6" />
                    <text x=x + 8.0 y=y + 18.0 class="dag__id">{id.clone()}</text>
                    <text x=x + 8.0 y=y + 34.0 class="dag__kind">{kind.clone()}</text>
                </g>
            }
        })
        .collect_view();
    let summary = format!("{} steps, {} edges", steps.len(), ws.edges.len());
    let listed = problems
        .into_iter()
        .map(|(f, m)| {
            let at =
                step_of(&f, &ws).and_then(|i| steps.get(i)).map(|(id, _)| format!("Step {id}: ")).unwrap_or_default();
            view! { <li><code>{f}</code> " " {at}{m}</li> }
        })
        .collect_view();
    view! {
        <figure class="dag">
            <div class="dag__scroll">
                <svg viewBox=format!("0 0 {width} {height}") width=width height=height role="img" aria-label=format!("Workflow graph: {summary}")>
                    <defs>
                        <marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse">
                            <path d="M 0 0 L 10 5 L 0 10 z" />
                        </marker>
                    </defs>
                    {arrows}
                    {nodes}
                </svg>
            </div>
            <figcaption class="muted">{summary}</figcaption>
            <ul class="problems">{listed}</ul>
        </figure>
    }
}

/// The Definition tab.
#[component]
pub fn DefinitionTab(v: AgentView, ctl: Ctl) -> impl IntoView {
    let Some(draft) = v.draft.clone() else {
        return view! { <p class="muted">"Your access does not include this agent's definition."</p> }.into_any();
    };
    let manage = v.agent.can_manage;
    let ty = v.agent.agent_type;
    let text = RwSignal::new(pretty(&draft.detail));
    let active = v.agent.variation.as_ref().map(pretty);
    let parsed = Memo::new(move |_| serde_json::from_str::<Value>(&text.read()).map_err(|e| e.to_string()));
    let problems = Memo::new(move |_| match parsed.get() {
        Err(e) => vec![("body".to_string(), format!("Not JSON: {e}"))],
        Ok(raw) => match parse_definition(&raw, ty) {
            Ok(_) => Vec::new(),
            Err(fields) => fields.into_iter().map(|f| (f.field, f.message)).collect(),
        },
    });
    let server_problems = move || ctl.error.get().map(|e| e.fields().to_vec()).unwrap_or_default();
    let all_problems = move || {
        let mut p = problems.get();
        p.extend(server_problems());
        p
    };
    let save = move |_| {
        if let Ok(raw) = parsed.get_untracked() {
            ctl.run(AgentOp::SaveDraft(raw), "Draft saved.");
        }
    };
    let name = RwSignal::new(String::new());
    let notes = RwSignal::new(String::new());
    let deploy = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        ctl.run(
            AgentOp::Deploy { name: name.get_untracked(), notes: notes.get_untracked() },
            "Deployed: this version is now active.",
        );
    };
    let saved = pretty(&draft.detail);
    let diff = move || {
        let old = active.clone().unwrap_or_default();
        let d = lines(&old, &text.read()).unwrap_or_default();
        if d.iter().all(|l| matches!(l, Line::Same(_))) {
            return view! { <p class="muted">"No difference from the active version."</p> }.into_any();
        }
        let rows = d
            .into_iter()
            .map(|l| match l {
                Line::Same(s) => view! { <span class="diff__same">{format!("  {s}\n")}</span> }.into_any(),
                Line::Added(s) => view! { <ins class="diff__add">{format!("+ {s}\n")}</ins> }.into_any(),
                Line::Removed(s) => view! { <del class="diff__del">{format!("- {s}\n")}</del> }.into_any(),
            })
            .collect_view();
        view! { <pre class="diff" aria-label="Changes from the active version">{rows}</pre> }.into_any()
    };
    view! {
        <h2>"Definition"</h2>
        <p class="muted">
            {if draft.id.is_empty() {
                "No definition yet: this is a starting point. Save it as the draft, then deploy it."
            } else if draft.active {
                "No draft is pending: this is the active version. Edit it to start a draft."
            } else {
                "The draft: saved changes that are not live until you deploy them."
            }}
        </p>
        <div class="editor">
            <div class="field">
                <label for="draft-json">"Draft (JSON: trigger, workflowStructure, agentSelection)"</label>
                <textarea id="draft-json" class="code" rows="18" spellcheck="false" readonly=!manage
                    aria-describedby="draft-problems" prop:value=move || text.get()
                    on:input=move |ev| text.set(event_target_value(&ev))>{saved}</textarea>
            </div>
            <div id="draft-problems" aria-live="polite">
                {move || {
                    let p = all_problems();
                    let ok = p.is_empty();
                    view! {
                        <p class=if ok { "alert alert--ok" } else { "alert alert--error" }>
                            {if ok { "The definition is valid.".to_string() } else { format!("{} problem(s), shown at their steps:", p.len()) }}
                        </p>
                    }
                }}
            </div>
        </div>
        {move || match parsed.get() {
            Ok(raw) => view! { <Graph raw problems=all_problems() /> }.into_any(),
            Err(_) => ().into_any(),
        }}
        {manage.then(|| view! {
            <div class="row__actions">
                <button type="button" class="btn btn--primary" on:click=save
                    disabled=move || ctl.busy.get() || parsed.read().is_err()>"Save draft"</button>
            </div>
        })}
        <h3>"Changes from the active version"</h3>
        {diff}
        {manage.then(|| view! {
            <form class="form deploy" on:submit=deploy>
                <h3>"Deploy"</h3>
                <div class="field">
                    <label for="deploy-name">"Version name (optional)"</label>
                    <input id="deploy-name" maxlength=VERSION_NAME_MAX prop:value=name on:input=move |ev| name.set(event_target_value(&ev)) />
                </div>
                <div class="field">
                    <label for="deploy-notes">"Release notes (optional)"</label>
                    <textarea id="deploy-notes" rows="3" maxlength=VERSION_NOTES_MAX prop:value=notes on:input=move |ev| notes.set(event_target_value(&ev))></textarea>
                </div>
                <button type="submit" class="btn btn--primary" disabled=move || ctl.busy.get()>"Deploy the saved draft"</button>
            </form>
        })}
    }
    .into_any()
}

/// The Versions tab: deployed versions, newest first.
#[component]
pub fn VersionsTab(v: AgentView, ctl: Ctl) -> impl IntoView {
    let manage = v.agent.can_manage;
    if v.versions.is_empty() {
        return view! { <h2>"Versions"</h2><p class="muted">"Nothing deployed yet."</p> }.into_any();
    }
    let who = move |id: Option<i64>| {
        id.and_then(|u| v.members.iter().find(|(m, _)| *m == u).map(|(_, e)| e.clone()).or(Some(format!("user #{u}"))))
            .unwrap_or_default()
    };
    let rows = v
        .versions
        .iter()
        .map(|ver| {
            let (vid, vid2) = (ver.id.clone(), ver.id.clone());
            let n = ver.number.unwrap_or_default();
            let label = ver.name.clone().unwrap_or_else(|| format!("Version {n}"));
            let when = ver.deployed_at.map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string()).unwrap_or_default();
            let active = ver.active;
            view! {
                <li class="row">
                    <div class="row__main">
                        <strong class="row__title">{format!("#{n} · {label}")}</strong>
                        {active.then(|| view! { <span class="badge badge--active">"active"</span> })}
                        <span class="row__meta">"Deployed by " {who(ver.deployed_by)} " · " {when}</span>
                        {ver.notes.clone().map(|n| view! { <span class="row__meta">{n}</span> })}
                    </div>
                    {manage.then(|| view! {
                        <div class="row__actions">
                            <button type="button" class="btn btn--ghost" disabled=move || ctl.busy.get()
                                on:click=move |_| ctl.run(AgentOp::Restore(vid.clone()), format!("Version {n} copied into the draft."))>
                                "Restore to draft" <span class="visually-hidden">{format!(" (version {n})")}</span>
                            </button>
                            {(!active).then(|| view! {
                                <button type="button" class="btn btn--ghost" disabled=move || ctl.busy.get()
                                    on:click=move |_| ctl.run(AgentOp::ActivateVersion(vid2.clone()), format!("Version {n} is active again."))>
                                    "Make active" <span class="visually-hidden">{format!(" (version {n})")}</span>
                                </button>
                            })}
                        </div>
                    })}
                </li>
            }
        })
        .collect_view();
    view! {
        <h2>"Versions"</h2>
        <p class="muted">"Restore copies a version into the draft; Make active rolls back or forward without touching the draft."</p>
        <ol class="rows">{rows}</ol>
    }
    .into_any()
}
