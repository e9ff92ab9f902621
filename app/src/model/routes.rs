//! Routing an account from one workflow page to another.

use super::*;

string_enum!(
    /// The workflow pages an account can be routed to.
    RoutePage {
        Health => "health" / "Health",
        Convert => "convert" / "Convert",
        Contracts => "contracts" / "Contracts",
        Pipeline => "pipeline" / "Pipeline",
        Reengage => "reengage" / "Re-engage",
    }
);

impl RoutePage {
    pub fn path(self) -> &'static str {
        match self {
            RoutePage::Health => "/health",
            RoutePage::Convert => "/convert",
            RoutePage::Contracts => "/contracts",
            RoutePage::Pipeline => "/pipeline",
            RoutePage::Reengage => "/re-engage",
        }
    }
}

/// An account sent from one workflow page to another.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RouteRow {
    pub id: i64,
    pub account_id: i64,
    pub account_name: String,
    pub from_page: RoutePage,
    pub to_page: RoutePage,
    pub routed_by: String,
    pub note: Option<String>,
    pub routed_at: String,
    pub dismissed: bool,
    /// The expansion deal opened when the account was routed to Pipeline.
    pub deal_id: Option<i64>,
}
