//! Domain types shared by the browser and the server. Money is integer minor units plus an ISO
//! currency; dates are calendar days (`YYYY-MM-DD` on the wire and in the database).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::fmt;

pub use crate::integrations::SyncRunRow;
pub(crate) use crate::kit::string_enum;
pub use crate::kit::{enums::*, lists::*, Money};

mod accounts;
mod contracts;
mod convert;
mod feedback;
mod health;
mod pipeline;
mod reengage;
mod routes;
mod settings;
mod tv;

pub use accounts::*;
pub use contracts::*;
pub use convert::*;
pub use feedback::*;
pub use health::*;
pub use pipeline::*;
pub use reengage::*;
pub use routes::*;
pub use settings::*;
pub use tv::*;

#[cfg(test)]
mod tests;
