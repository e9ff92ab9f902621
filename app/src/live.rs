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
    /// Pipeline's stages or source changed (Settings).
    PipelineChanged,
    /// Someone asked for access (Settings → Access shows it).
    AccessRequested,
    /// Close the Loop changed: matches decided or refreshed, an email queued, sent or failed
    /// (`None`: across the workspace).
    LoopChanged { account_id: Option<i64> },
    /// The page missed more than the server kept: refetch everything.
    Resync,
    /// Someone's access ended (a member removed or re-roled, sessions signed out, a display
    /// link revoked): every open stream of the workspace checks its own credential again.
    AccessChanged,
    /// Sent to a stream whose session or display link no longer holds, just before it closes.
    SignedOut,
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
            LiveEvent::Resync => true,
            LiveEvent::LoopChanged { account_id: a } => a.is_none_or(|a| a == account_id),
            LiveEvent::Sync(_)
            | LiveEvent::AccessRequested
            | LiveEvent::PipelineChanged
            | LiveEvent::AccessChanged
            | LiveEvent::SignedOut => false,
        }
    }

    /// Whether a page listing the workspace's accounts or deals should refetch.
    pub fn touches_lists(&self) -> bool {
        !matches!(
            self,
            LiveEvent::Sync(_)
                | LiveEvent::AccessRequested
                | LiveEvent::Rescored { changed: 0 }
                | LiveEvent::AccessChanged
                | LiveEvent::SignedOut
        )
    }

    /// Whether a browser that missed it should be sent it on reconnecting: everything but a
    /// running sync's progress, which the next progress report supersedes.
    pub fn worth_replaying(&self) -> bool {
        match self {
            LiveEvent::Sync(p) => p.finished,
            LiveEvent::AccessChanged | LiveEvent::SignedOut => false,
            _ => true,
        }
    }
}

/// How the page's event stream is doing, for the indicator in the corner.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Connection {
    Connecting,
    Live,
    /// Lost at this time (milliseconds since the epoch); reconnecting.
    Lost {
        since_ms: f64,
    },
    /// The server ended this session or display link; the stream is closed for good.
    SignedOut,
}

/// After this long without the stream, what the page shows may be out of date: say so.
pub const STALE_AFTER_MS: f64 = 60_000.0;

#[cfg(feature = "hydrate")]
mod browser {
    use super::{Connection, LiveEvent};
    use leptos::prelude::*;
    use std::cell::RefCell;
    use std::rc::Rc;
    use wasm_bindgen::prelude::*;

    /// Opens the event stream for the app's lifetime. The browser's EventSource reconnects by
    /// itself (sending Last-Event-ID, so the server replays what was missed); when it gives up —
    /// the server answered with an error while restarting — a new one is opened after 2 s,
    /// carrying the last id it saw.
    pub fn connect(live: super::Live, url: &str) {
        open(live, url.to_string(), Rc::new(RefCell::new(String::new())));
    }

    fn open(live: super::Live, url: String, last_id: Rc<RefCell<String>>) {
        let full = match last_id.borrow().as_str() {
            "" => url.clone(),
            id => {
                let sep = if url.contains('?') { '&' } else { '?' };
                format!("{url}{sep}last_event_id={}", crate::url::encode_component(id))
            }
        };
        let Ok(source) = web_sys::EventSource::new(&full) else {
            return;
        };
        let seen = last_id.clone();
        let signed_out_source = source.clone();
        let on_message = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |ev: web_sys::MessageEvent| {
            let id = ev.last_event_id();
            if !id.is_empty() {
                *seen.borrow_mut() = id;
            }
            let Some(text) = ev.data().as_string() else { return };
            if let Ok(event) = serde_json::from_str::<LiveEvent>(&text) {
                if event == LiveEvent::SignedOut {
                    live.connection.set(Connection::SignedOut);
                    signed_out_source.close();
                    return;
                }
                if let LiveEvent::Sync(progress) = &event {
                    live.sync.set(Some(progress.clone()));
                    if !progress.finished {
                        return;
                    }
                }
                live.last.set(Some(event));
                live.version.update(|v| *v += 1);
            }
        });
        source.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        on_message.forget();
        let on_open = Closure::<dyn FnMut()>::new(move || {
            // Back after a gap: whatever was missed beyond the replay is refetched.
            if matches!(live.connection.get_untracked(), Connection::Lost { .. }) {
                live.last.set(Some(LiveEvent::Resync));
                live.version.update(|v| *v += 1);
            }
            live.connection.set(Connection::Live);
        });
        source.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        on_open.forget();
        let this = source.clone();
        let on_error = Closure::<dyn FnMut()>::new(move || {
            if live.connection.get_untracked() == Connection::SignedOut {
                return;
            }
            if !matches!(live.connection.get_untracked(), Connection::Lost { .. }) {
                live.connection.set(Connection::Lost {
                    since_ms: js_sys::Date::now(),
                });
            }
            if this.ready_state() == web_sys::EventSource::CLOSED {
                let (url, last_id) = (url.clone(), last_id.clone());
                set_timeout(move || open(live, url, last_id), std::time::Duration::from_secs(2));
            }
        });
        source.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        on_error.forget();
    }
}

/// The live-update state pages subscribe to, provided by the app shell.
#[derive(Clone, Copy)]
pub struct Live {
    /// Bumped on every event.
    pub version: leptos::prelude::RwSignal<u64>,
    pub last: leptos::prelude::RwSignal<Option<LiveEvent>>,
    pub connection: leptos::prelude::RwSignal<Connection>,
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
            connection: RwSignal::new(Connection::Connecting),
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

    /// Counts the events a page listing accounts or deals cares about.
    pub fn any(self) -> leptos::prelude::Memo<u64> {
        self.counting(LiveEvent::touches_lists)
    }

    /// Counts the events `wanted` picks (a missed-too-much `Resync` always counts).
    pub fn counting(self, wanted: fn(&LiveEvent) -> bool) -> leptos::prelude::Memo<u64> {
        use leptos::prelude::*;
        Memo::new(move |prev: Option<&u64>| {
            let seen = self.version.get();
            let prev = prev.copied().unwrap_or(0);
            match self.last.get_untracked() {
                Some(ev) if seen > 0 && (wanted(&ev) || ev == LiveEvent::Resync) => prev + 1,
                _ => prev,
            }
        })
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
        connection: RwSignal::new(Connection::Connecting),
        sync: RwSignal::new(None),
    })
}
