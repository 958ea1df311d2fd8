//! Data rights from the app's side: [`crate::Telemetry::forget`] asks the collector to erase
//! what it holds about this machine (`POST /v1/erase`), [`crate::Telemetry::export`] reads
//! it back (`POST /v1/export`), and an erase that cannot be sent now is kept, encrypted,
//! and sent before any event at the next start. README.md, "Erase and export on request",
//! describes the collector's side.

mod http;
mod pending;
mod types;

pub(crate) use http::{is_receipt_id, CallError, RightsClient};
pub(crate) use pending::{PendingErase, PendingErases};
pub use types::{
    Erase, EraseState, EraseStatus, ForgetOutcome, NotAsked, Receipt, Refusal, Removed,
};
