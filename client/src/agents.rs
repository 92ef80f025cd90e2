//! [`AgentsClient`]: the directory's operations under `/api/v1/agents`.

use crate::model::{Agent, AgentPage, AgentPatch, CreateAgent, DeployRequest, Tagged};
use crate::odata::ListOptions;
use crate::transport::{Answer, Call, Transport, JSON, MERGE_PATCH_JSON};
use crate::{ClientOptions, Error};
use futures_util::Stream;
use reqwest::Method;
use serde_json::Value;

const AGENTS: &str = "api/v1/agents";

/// A client of the agent directory.
///
/// ```no_run
/// # async fn demo() -> Result<(), agentry_client::Error> {
/// use agentry_client::odata::{Filter, ListOptions, OrderBy};
/// use agentry_client::{AgentPatch, AgentsClient, ClientOptions, CreateAgent};
/// let agents = AgentsClient::new(ClientOptions::new("uak_…").base_url("https://agentry.example"))?;
/// let created = agents.create_agent(&CreateAgent::new("Churn analyzer"), Some("create-churn-1")).await?;
/// let renamed = agents.update_agent(created.id, &AgentPatch::new().name("Churn"), created.etag.as_deref()).await?;
/// let opts = ListOptions::new()
///     .filter(Filter::field("type").eq("task").and(Filter::field("name").contains("churn")))
///     .orderby(OrderBy::asc("name").then_desc("createdAt"))
///     .top(50);
/// let every_row = agents.pager(opts).collect_rows().await?;
/// # let _ = (renamed, every_row); Ok(()) }
/// ```
#[derive(Clone)]
pub struct AgentsClient {
    t: Transport,
}

impl std::fmt::Debug for AgentsClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AgentsClient").finish_non_exhaustive()
    }
}

fn tagged(answer: Answer) -> Result<Tagged<Agent>, Error> {
    Ok(Tagged { value: answer.json()?, etag: answer.etag })
}

impl AgentsClient {
    /// A client with these options; fails on an unusable base URL or API key.
    pub fn new(options: ClientOptions) -> Result<Self, Error> {
        Ok(AgentsClient { t: Transport::new(&options)? })
    }

    fn agent_url(&self, id: i64, action: Option<&str>) -> Result<reqwest::Url, Error> {
        match action {
            Some(a) => self.t.url(&format!("{AGENTS}/{id}/{a}")),
            None => self.t.url(&format!("{AGENTS}/{id}")),
        }
    }

    /// One page of the list (`GET /api/v1/agents`); follow `next_link` with
    /// [`AgentsClient::list_agents_at`] or let [`AgentsClient::pager`] do it.
    pub async fn list_agents(&self, options: &ListOptions) -> Result<AgentPage, Error> {
        let mut url = self.t.url(AGENTS)?;
        let pairs = options.query_pairs()?;
        if !pairs.is_empty() {
            url.query_pairs_mut().extend_pairs(pairs);
        }
        self.t.send(Call::new(Method::GET, url)).await?.json()
    }

    /// The page an `@odata.nextLink` names (on this client's server only).
    pub async fn list_agents_at(&self, next_link: &str) -> Result<AgentPage, Error> {
        let url = self.t.resolve_link(next_link)?;
        self.t.send(Call::new(Method::GET, url)).await?.json()
    }

    /// Every page of the list, following `@odata.nextLink`.
    pub fn pager(&self, options: ListOptions) -> AgentPager {
        AgentPager { client: self.clone(), first: Some(options), next: None, done: false }
    }

    /// One agent, with its ETag (`GET /api/v1/agents/{id}`).
    pub async fn get_agent(&self, id: i64) -> Result<Tagged<Agent>, Error> {
        tagged(self.t.send(Call::new(Method::GET, self.agent_url(id, None)?)).await?)
    }

    /// Creates an agent (`POST /api/v1/agents`). With an `idempotency_key` the request is
    /// retried on transient failures, and a repeat with the same body returns the same
    /// agent (the same key with another body is a [`Error::Validation`], 422).
    pub async fn create_agent(
        &self,
        agent: &CreateAgent,
        idempotency_key: Option<&str>,
    ) -> Result<Tagged<Agent>, Error> {
        let call = Call::new(Method::POST, self.t.url(AGENTS)?).json(JSON, agent)?.idempotency_key(idempotency_key);
        tagged(self.t.send(call).await?)
    }

    /// Changes an agent with a JSON merge patch (`PATCH`, `application/merge-patch+json`).
    /// With `if_match` (an ETag you read) the change applies only to that version
    /// ([`Error::PreconditionFailed`] otherwise), and only then is it retried.
    pub async fn update_agent(
        &self,
        id: i64,
        patch: &AgentPatch,
        if_match: Option<&str>,
    ) -> Result<Tagged<Agent>, Error> {
        let call =
            Call::new(Method::PATCH, self.agent_url(id, None)?).json(MERGE_PATCH_JSON, patch)?.if_match(if_match);
        tagged(self.t.send(call).await?)
    }

    /// Activates an agent: its keys authenticate again.
    pub async fn activate_agent(&self, id: i64, if_match: Option<&str>) -> Result<Tagged<Agent>, Error> {
        let call = Call::new(Method::POST, self.agent_url(id, Some("activate"))?).if_match(if_match);
        tagged(self.t.send(call).await?)
    }

    /// Deactivates an agent: its keys stop authenticating (they are not revoked).
    pub async fn deactivate_agent(&self, id: i64, if_match: Option<&str>) -> Result<Tagged<Agent>, Error> {
        let call = Call::new(Method::POST, self.agent_url(id, Some("deactivate"))?).if_match(if_match);
        tagged(self.t.send(call).await?)
    }

    /// Soft-deletes an agent (`deletedAt` set, seat and slug freed, keys revoked); deleting
    /// it again answers it unchanged. Returns the deleted agent.
    pub async fn delete_agent(&self, id: i64, if_match: Option<&str>) -> Result<Tagged<Agent>, Error> {
        let call = Call::new(Method::DELETE, self.agent_url(id, None)?).if_match(if_match);
        tagged(self.t.send(call).await?)
    }

    /// Deploys the draft as the next version (`status: active`); `nothing_to_deploy`
    /// ([`Error::Conflict`]) when the draft is the active version.
    pub async fn deploy_agent(
        &self,
        id: i64,
        request: &DeployRequest,
        if_match: Option<&str>,
    ) -> Result<Tagged<Agent>, Error> {
        let call = Call::new(Method::POST, self.agent_url(id, Some("deploy"))?).json(JSON, request)?.if_match(if_match);
        tagged(self.t.send(call).await?)
    }
}

/// Walks the list page by page, following `@odata.nextLink`.
#[derive(Debug)]
pub struct AgentPager {
    client: AgentsClient,
    first: Option<ListOptions>,
    next: Option<String>,
    done: bool,
}

impl AgentPager {
    /// The next page, or `None` after the last one (and after an error).
    pub async fn next_page(&mut self) -> Result<Option<AgentPage>, Error> {
        if self.done {
            return Ok(None);
        }
        let result = match (self.first.take(), self.next.take()) {
            (Some(opts), _) => self.client.list_agents(&opts).await,
            (None, Some(link)) => {
                let page = self.client.list_agents_at(&link).await;
                // A server that names the same page again would keep us here forever.
                match page {
                    Ok(p) if p.next_link.as_deref() == Some(link.as_str()) => Err(Error::Decode {
                        status: 200,
                        message: format!("the next link repeats the current page: {link}"),
                    }),
                    other => other,
                }
            }
            (None, None) => Ok(AgentPage::default()),
        };
        match result {
            Ok(page) => {
                self.next = page.next_link.clone();
                self.done = self.next.is_none();
                Ok(Some(page))
            }
            Err(e) => {
                self.done = true;
                Err(e)
            }
        }
    }

    /// The rows of every remaining page.
    pub async fn collect_rows(mut self) -> Result<Vec<Value>, Error> {
        let mut rows = Vec::new();
        while let Some(page) = self.next_page().await? {
            rows.extend(page.value);
        }
        Ok(rows)
    }

    /// The remaining pages as a stream; it ends after the last page or the first error.
    pub fn into_stream(self) -> impl Stream<Item = Result<AgentPage, Error>> + Send {
        futures_util::stream::unfold(self, |mut pager| async move {
            match pager.next_page().await {
                Ok(Some(page)) => Some((Ok(page), pager)),
                Ok(None) => None,
                Err(e) => Some((Err(e), pager)),
            }
        })
    }
}
