//! Talking to the vendors: webhook signatures and the retry rules every connector shares. (The
//! connectors themselves arrive with issue 5; these parts are pure and tested on their own.)

pub mod retry;
pub mod webhooks;
