//! Live updates: the server announces changes over server-sent events (`/api/events`, one stream
//! per workspace) and open pages refetch what the change touches, without a reload.

use serde::{Deserialize, Serialize};

/// Something changed in the workspace. Sent as the JSON `data` of an SSE message.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LiveEvent {
    /// Rescoring finished (scheduled, on demand, or after a sync).
    Rescored { changed: u64 },
    /// One account's data changed: tracking, override, routing.
    AccountChanged { account_id: i64 },
    /// A deal moved or was opened.
    DealChanged { deal_id: i64, account_id: i64 },
    /// A sync made progress or finished; pages refresh on the `Rescored` that follows it.
    Sync(SyncProgress),
}

/// Where a running sync is, for the progress bar in Settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SyncProgress {
    pub source: String,
    pub run_id: i64,
    /// The resource being fetched ("subscriptions"), and its place among the connector's resources.
    pub step: String,
    pub step_no: u32,
    pub steps: u32,
    pub fetched: u64,
    pub written: u64,
    pub skipped: u64,
    pub finished: bool,
    pub error: Option<String>,
}

impl SyncProgress {
    /// How far along, 0.0–1.0: finished steps plus a share of the current one.
    pub fn fraction(&self) -> f64 {
        if self.finished {
            return 1.0;
        }
        let steps = self.steps.max(1) as f64;
        ((self.step_no.saturating_sub(1) as f64) + 0.5) / steps
    }
}

impl LiveEvent {
    /// Whether a page about `account_id` should refetch.
    pub fn touches_account(&self, account_id: i64) -> bool {
        match self {
            LiveEvent::Rescored { changed } => *changed > 0,
            LiveEvent::AccountChanged { account_id: a } | LiveEvent::DealChanged { account_id: a, .. } => {
                *a == account_id
            }
            LiveEvent::Sync(_) => false,
        }
    }
}

#[cfg(feature = "hydrate")]
mod browser {
    use super::LiveEvent;
    use leptos::prelude::*;
    use wasm_bindgen::prelude::*;

    /// Opens the event stream once for the app's lifetime; the browser's EventSource reconnects by
    /// itself after a dropped connection.
    pub fn connect(live: super::Live, url: &str) {
        let Ok(source) = web_sys::EventSource::new(url) else {
            return;
        };
        let on_message = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |ev: web_sys::MessageEvent| {
            let Some(text) = ev.data().as_string() else { return };
            if let Ok(event) = serde_json::from_str::<LiveEvent>(&text) {
                if let LiveEvent::Sync(progress) = event {
                    live.sync.set(Some(progress));
                    return;
                }
                live.last.set(Some(event));
                live.version.update(|v| *v += 1);
            }
        });
        source.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        on_message.forget();
        let on_open = Closure::<dyn FnMut()>::new(move || live.connected.set(true));
        source.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        on_open.forget();
        let on_error = Closure::<dyn FnMut()>::new(move || live.connected.set(false));
        source.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        on_error.forget();
        // Kept for the page's lifetime; dropping the handle would not close it anyway.
        std::mem::forget(source);
    }
}

/// The live-update state pages subscribe to, provided by the app shell.
#[derive(Clone, Copy)]
pub struct Live {
    /// Bumped on every event.
    pub version: leptos::prelude::RwSignal<u64>,
    pub last: leptos::prelude::RwSignal<Option<LiveEvent>>,
    pub connected: leptos::prelude::RwSignal<bool>,
    /// The latest sync progress (these events do not bump `version`).
    pub sync: leptos::prelude::RwSignal<Option<SyncProgress>>,
}

impl Live {
    /// Live updates for a signed-in member or the demo preview.
    pub fn provide() -> Live {
        Self::provide_from("/api/events".to_string())
    }

    /// Live updates for an office screen, authorised by its display link.
    pub fn provide_for_display(token: &str) -> Live {
        Self::provide_from(format!("/api/events?display={}", crate::url::encode_component(token)))
    }

    fn provide_from(url: String) -> Live {
        use leptos::prelude::*;
        let live = Live {
            version: RwSignal::new(0),
            last: RwSignal::new(None),
            connected: RwSignal::new(false),
            sync: RwSignal::new(None),
        };
        provide_context(live);
        #[cfg(feature = "hydrate")]
        Effect::new(move |started: Option<()>| {
            if started.is_none() {
                browser::connect(live, &url);
            }
        });
        #[cfg(not(feature = "hydrate"))]
        let _ = url;
        live
    }

    /// Counts the events a page showing the whole workspace cares about (all of them).
    pub fn any(self) -> leptos::prelude::Signal<u64> {
        self.version.into()
    }

    /// Counts only the events that touch one account, so its detail page ignores the rest.
    pub fn for_account(self, account_id: leptos::prelude::Memo<Option<i64>>) -> leptos::prelude::Memo<u64> {
        use leptos::prelude::*;
        Memo::new(move |prev: Option<&u64>| {
            let seen = self.version.get();
            let prev = prev.copied().unwrap_or(0);
            match (self.last.get_untracked(), account_id.get_untracked()) {
                (Some(ev), Some(id)) if seen > 0 && ev.touches_account(id) => prev + 1,
                _ => prev,
            }
        })
    }
}

/// The live-update state, or a quiet one outside the shell (the office screen provides its own).
pub fn use_live() -> Live {
    use leptos::prelude::*;
    use_context::<Live>().unwrap_or_else(|| Live {
        version: RwSignal::new(0),
        last: RwSignal::new(None),
        connected: RwSignal::new(false),
        sync: RwSignal::new(None),
    })
}
