//! PostHog's copy: deleting a person (and their events) through PostHog's persons API
//! with a personal API key — find the person by the stored (hashed) distinct id, then
//! delete it — retrying like the PostHog sink does.

use crate::sinks::{parse_retry_after, Backoff};
use hush_config::{PostHogConfig, Secret};
use std::time::Duration;

/// Attempts per request before the erase reports PostHog as failed.
const ATTEMPTS: u32 = 6;

/// What happened to the person in PostHog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PersonOutcome {
    /// This many persons (and their events) were deleted.
    Deleted(usize),
    /// PostHog holds no person with that distinct id.
    NotFound,
}

/// Why PostHog could not be asked.
#[derive(Debug, thiserror::Error)]
pub enum PersonsError {
    /// PostHog kept answering with an error, or could not be reached.
    #[error("PostHog answered {0}")]
    Failed(String),
}

/// A client of PostHog's persons API for one project.
#[derive(Debug, Clone)]
pub struct PostHogPersons {
    client: reqwest::Client,
    api_host: String,
    project_id: u64,
    key: Secret,
}

impl PostHogPersons {
    /// The client when `[posthog]` has a personal API key and a project id.
    pub fn from_config(config: &PostHogConfig) -> Option<Self> {
        let key = config.personal_api_key.clone()?;
        let project_id = config.project_id?;
        let client = reqwest::Client::builder()
            .timeout(Duration::from_millis(config.timeout_ms))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .ok()?;
        Some(PostHogPersons {
            client,
            api_host: config.api_host(),
            project_id,
            key,
        })
    }

    fn persons_url(&self) -> String {
        format!(
            "{}/api/projects/{}/persons/",
            self.api_host, self.project_id
        )
    }

    /// Deletes every person PostHog holds under `distinct_id`, with their events.
    ///
    /// # Errors
    /// [`PersonsError::Failed`] when PostHog keeps failing (the error names the status,
    /// never the id).
    pub async fn delete_person(&self, distinct_id: &str) -> Result<PersonOutcome, PersonsError> {
        let found = self
            .send(|| {
                self.client
                    .get(self.persons_url())
                    .query(&[("distinct_id", distinct_id)])
            })
            .await?;
        let body: serde_json::Value = serde_json::from_str(&found)
            .map_err(|_| PersonsError::Failed("a persons list that is not JSON".into()))?;
        let ids: Vec<String> = body["results"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|p| match &p["id"] {
                serde_json::Value::String(s) => Some(s.clone()),
                serde_json::Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
            .collect();
        if ids.is_empty() {
            return Ok(PersonOutcome::NotFound);
        }
        for id in &ids {
            let url = format!("{}{}/", self.persons_url(), id);
            self.send(|| self.client.delete(&url).query(&[("delete_events", "true")]))
                .await?;
        }
        Ok(PersonOutcome::Deleted(ids.len()))
    }

    /// Sends the request `make` builds, retrying on 429, 5xx and network errors; the body
    /// of a 2xx answer.
    async fn send(
        &self,
        make: impl Fn() -> reqwest::RequestBuilder,
    ) -> Result<String, PersonsError> {
        let mut backoff = Backoff::new(Duration::from_millis(200), Duration::from_secs(10));
        let mut last = String::new();
        for _ in 0..ATTEMPTS {
            let result = make().bearer_auth(self.key.expose()).send().await;
            let retry_after = match result {
                Ok(response) if response.status().is_success() => {
                    return Ok(response.text().await.unwrap_or_default());
                }
                Ok(response) => {
                    let status = response.status();
                    last = format!("HTTP {}", status.as_u16());
                    if !(status.is_server_error() || status.as_u16() == 429) {
                        return Err(PersonsError::Failed(last));
                    }
                    response
                        .headers()
                        .get(reqwest::header::RETRY_AFTER)
                        .and_then(|v| v.to_str().ok())
                        .and_then(parse_retry_after)
                }
                Err(error) => {
                    last = if error.is_timeout() {
                        "no answer in time".into()
                    } else {
                        "a connection error".into()
                    };
                    None
                }
            };
            tokio::time::sleep(backoff.next_delay(retry_after)).await;
        }
        Err(PersonsError::Failed(last))
    }
}
