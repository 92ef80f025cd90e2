//! Saved views: each user's named queries of a list, per organization (the directory's
//! "Save this view"). Saving under an existing name replaces its query; a user keeps at
//! most [`VIEWS_MAX`] per list.

use crate::errors::ErrorCode;
use crate::model::{SavedView, SavedViewList, ViewSpec, VIEWS_MAX};
use crate::principal::Principal;
use crate::store::guard::{Guard, Mode};
use crate::store::to_time;
use crate::{ServiceError, Services};
use sqlx::any::AnyRow;
use sqlx::Row;

fn view(r: &AnyRow) -> Result<SavedView, sqlx::Error> {
    Ok(SavedView {
        id: r.try_get("id")?,
        list: r.try_get("list")?,
        name: r.try_get("name")?,
        query: r.try_get("query")?,
        created_at: to_time(r.try_get("created_at")?),
        updated_at: to_time(r.try_get("updated_at")?),
    })
}

const COLS: &str = "id, list, name, query, created_at, updated_at";

impl Services {
    /// The caller's views of `list` in the current organization, by name.
    pub async fn saved_views(&self, p: &Principal, list: &str) -> Result<SavedViewList, ServiceError> {
        if list != "agents" {
            return Err(ServiceError::field("list", "The only list with saved views is agents."));
        }
        let rows = sqlx::query(&format!(
            "SELECT {COLS} FROM saved_views WHERE user_id = $1 AND org_id = $2 AND list = $3 ORDER BY name, id"
        ))
        .bind(p.user_id)
        .bind(p.org_id)
        .bind(list)
        .fetch_all(&self.db().pool)
        .await?;
        Ok(SavedViewList { value: rows.iter().map(view).collect::<Result<_, _>>()? })
    }

    /// Saves a view (replacing the query of one with the same name). `true` when it is new.
    pub async fn save_view(&self, p: &Principal, spec: ViewSpec) -> Result<(SavedView, bool), ServiceError> {
        let now = self.now_ms();
        let mut tx = self.db().begin().await?;
        // The cap holds across instances (store/guard.rs).
        self.db().guard(&mut tx, Guard::SavedViews(p.user_id), Mode::Exclusive).await?;
        let replaced = sqlx::query(&format!(
            "UPDATE saved_views SET query = $1, updated_at = $2
             WHERE user_id = $3 AND org_id = $4 AND list = $5 AND name = $6 RETURNING {COLS}"
        ))
        .bind(&spec.query)
        .bind(now)
        .bind(p.user_id)
        .bind(p.org_id)
        .bind(spec.list)
        .bind(&spec.name)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(r) = replaced {
            let v = view(&r)?;
            tx.commit().await?;
            return Ok((v, false));
        }
        let count: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM saved_views WHERE user_id = $1 AND org_id = $2 AND list = $3")
                .bind(p.user_id)
                .bind(p.org_id)
                .bind(spec.list)
                .fetch_one(&mut *tx)
                .await?;
        if usize::try_from(count).unwrap_or(usize::MAX) >= VIEWS_MAX {
            return Err(ServiceError::new(
                ErrorCode::TooManyViews,
                format!("You keep at most {VIEWS_MAX} views of a list; delete one first."),
            ));
        }
        let r = sqlx::query(&format!(
            "INSERT INTO saved_views (user_id, org_id, list, name, query, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING {COLS}"
        ))
        .bind(p.user_id)
        .bind(p.org_id)
        .bind(spec.list)
        .bind(&spec.name)
        .bind(&spec.query)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        let v = view(&r)?;
        tx.commit().await?;
        Ok((v, true))
    }

    /// Deletes one of the caller's views; another user's (or an unknown id) is a 404.
    pub async fn delete_view(&self, p: &Principal, id: i64) -> Result<(), ServiceError> {
        let n = sqlx::query("DELETE FROM saved_views WHERE id = $1 AND user_id = $2 AND org_id = $3")
            .bind(id)
            .bind(p.user_id)
            .bind(p.org_id)
            .execute(&self.db().pool)
            .await?
            .rows_affected();
        if n == 0 {
            return Err(ServiceError::new(ErrorCode::NotFound, "No such saved view."));
        }
        Ok(())
    }
}
