//! Health: the queue of monitored accounts, riskiest first, and its summary.

pub mod bench;
