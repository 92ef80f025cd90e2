//! How `agentry agents` prints: tables of agents, one agent, and output that ends quietly
//! on a closed pipe.

use super::Output;
use agentry_client::{Agent, Tagged};
use serde_json::Value;
use std::io::Write;

/// A cell: strings as they are, `null` as `-`, anything else as compact JSON; at most `max`
/// characters.
fn cell(v: Option<&Value>, max: usize) -> String {
    let text = match v {
        None | Some(Value::Null) => "-".to_string(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    };
    let text = text.replace(['\n', '\r', '\t'], " ");
    if text.chars().count() > max {
        format!("{}…", text.chars().take(max.saturating_sub(1)).collect::<String>())
    } else {
        text
    }
}

/// `updatedAt` → `UPDATED_AT`.
fn header(field: &str) -> String {
    let mut out = String::new();
    for c in field.chars() {
        if c.is_ascii_uppercase() && !out.is_empty() {
            out.push('_');
        }
        out.push(c.to_ascii_uppercase());
    }
    out
}

pub(super) fn table(columns: &[&str], rows: &[Value]) -> String {
    let mut lines: Vec<Vec<String>> = vec![columns.iter().map(|c| header(c)).collect()];
    lines.extend(rows.iter().map(|r| columns.iter().map(|c| cell(r.get(*c), 48)).collect()));
    let widths: Vec<usize> =
        (0..columns.len()).map(|i| lines.iter().map(|l| l[i].chars().count()).max().unwrap_or(0)).collect();
    let mut out = String::new();
    for line in &lines {
        let padded: Vec<String> = line.iter().zip(&widths).map(|(t, w)| format!("{t:<w$}")).collect();
        out.push_str(padded.join("  ").trim_end());
        out.push('\n');
    }
    out
}

pub(super) fn print_agent(agent: &Tagged<Agent>, out: Output) -> anyhow::Result<()> {
    let mut v = serde_json::to_value(&agent.value)?;
    match out {
        Output::Json => {
            if let (Some(tag), Value::Object(m)) = (&agent.etag, &mut v) {
                m.insert("@odata.etag".into(), tag.clone().into());
            }
            emit(&format!("{}\n", serde_json::to_string_pretty(&v)?))?;
        }
        Output::Table => {
            let fields = [
                "id",
                "name",
                "slug",
                "description",
                "type",
                "status",
                "enabled",
                "source",
                "registration",
                "email",
                "ownerId",
                "orgId",
                "activeVariationId",
                "draftVariationId",
                "hasUnpublishedChanges",
                "scheduleEnabled",
                "canManage",
                "canUse",
                "createdAt",
                "updatedAt",
                "deletedAt",
            ];
            let width = fields.iter().map(|f| f.len()).max().unwrap_or(0);
            let mut text = String::new();
            for f in fields {
                text.push_str(&format!("{f:<width$}  {}\n", cell(v.get(f), usize::MAX)));
            }
            text.push_str(&format!("{:<width$}  {}\n", "etag", agent.etag.as_deref().unwrap_or("-")));
            emit(&text)?;
        }
    }
    Ok(())
}

/// Writes to stdout; a reader that went away (`| head`) ends the output quietly.
pub(super) fn emit(text: &str) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(()),
    }
}
