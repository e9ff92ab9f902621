mod component_ref;
mod model;
mod signal_watch;

pub use component_ref::ComponentRef;
pub use model::*;
pub use signal_watch::SignalWatch;
