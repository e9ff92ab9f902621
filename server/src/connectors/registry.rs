//! Every connector by the integration it serves: a new connector is one file under
//! `connectors/` implementing [`Connector`] and one line in [`connector`].

use super::http::{VendorError, VendorHttp};
use super::{Stage, SyncError, SyncRun};
use app::model::IntegrationKind;
use app::revenue::Rates;

/// What a sync may need beside its client.
pub struct SyncInputs {
    /// Exchange rates into the workspace currency (revenue records).
    pub rates: Rates,
    /// The workspace's Pipeline stages (deals).
    pub stages: Vec<Stage>,
    /// The connection's target: PostHog's project id, GitHub repositories, feed URLs.
    pub target: String,
}

#[async_trait::async_trait]
pub trait Connector: Sync {
    /// The `source` its records and runs are stored under.
    fn source(&self) -> &'static str;
    fn client(&self, http: reqwest::Client, base_url: Option<&str>, credential: &str) -> VendorHttp;
    /// Asks the vendor whether the connection works: its answer, or its refusal as it came. The
    /// outer error is a target that cannot be read (a repository list, feed URLs).
    async fn test(&self, http: &VendorHttp, target: &str) -> Result<Result<String, VendorError>, String>;
    async fn sync(&self, http: &VendorHttp, run: &mut SyncRun<'_>, inputs: &SyncInputs) -> Result<(), SyncError>;
}

/// The connector behind an integration; none for what is pushed to Success (signals).
pub fn connector(kind: IntegrationKind) -> Option<&'static dyn Connector> {
    match kind {
        IntegrationKind::Salesbricks => Some(&super::salesbricks::Salesbricks),
        IntegrationKind::Stripe => Some(&super::stripe::Stripe),
        IntegrationKind::Posthog => Some(&super::posthog::Posthog),
        IntegrationKind::Hubspot => Some(&super::hubspot::Hubspot),
        IntegrationKind::Attio => Some(&super::attio::Attio),
        IntegrationKind::GithubReleases => Some(&super::github::Github),
        IntegrationKind::Feeds => Some(&super::feeds::Feeds),
        IntegrationKind::Signals => None,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_pulled_integration_has_a_connector_with_its_own_source() {
        use app::model::IntegrationKind;
        let mut sources: Vec<&str> = IntegrationKind::ALL
            .iter()
            .filter_map(|k| super::connector(*k).map(|c| c.source()))
            .collect();
        assert_eq!(sources.len(), IntegrationKind::ALL.len() - 1, "all but signals");
        sources.sort_unstable();
        sources.dedup();
        assert_eq!(sources.len(), IntegrationKind::ALL.len() - 1, "no two share a source");
    }
}
