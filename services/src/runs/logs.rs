//! A run's log lines, capped in size and rate: each line is cut to [`LOG_LINE_MAX`] bytes
//! (and marked `truncated`); a run takes at most `Config::run_log_lines_per_minute` lines a
//! minute and [`LOG_EVENTS_MAX`] events in all. Lines over a cap are dropped, and one
//! line in the log says so (once a minute for the rate, once for the total).

use super::{cut, event, RunRow};
use crate::model::{LOG_EVENTS_MAX, LOG_LINE_MAX};
use crate::ServiceError;
use serde_json::json;
use sqlx::{Any, Transaction};

/// Appends `lines` to `run`'s log in `tx` after event `seq`, and records the minute's count.
pub(super) async fn append(
    tx: &mut Transaction<'static, Any>,
    run: &RunRow,
    mut seq: i64,
    lines: &[String],
    per_minute: i64,
    now: i64,
) -> Result<(), ServiceError> {
    let window = now - now.rem_euclid(60_000);
    let mut used = if run.log_window_at == window { run.log_window_lines } else { 0 };
    for line in lines {
        if seq >= LOG_EVENTS_MAX {
            if seq == LOG_EVENTS_MAX {
                let note = format!("(the log holds {LOG_EVENTS_MAX} events: later lines of this run are dropped)");
                event(tx, run.id, "log", &json!({"line": note, "truncated": true}), now).await?;
            }
            break;
        }
        if used >= per_minute {
            if used == per_minute {
                let note = format!("(over {per_minute} lines in a minute: lines are dropped until the next minute)");
                seq = event(tx, run.id, "log", &json!({"line": note, "truncated": true}), now).await?;
            }
            used += 1;
            continue;
        }
        let (text, truncated) = cut(line, LOG_LINE_MAX);
        seq = event(tx, run.id, "log", &json!({"line": text, "truncated": truncated}), now).await?;
        used += 1;
    }
    sqlx::query("UPDATE runs SET log_window_at = $1, log_window_lines = $2 WHERE id = $3")
        .bind(window)
        .bind(used)
        .bind(run.id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
