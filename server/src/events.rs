//! Server-sent events: every change a page should show without a reload is published here, and
//! `/api/events` streams the caller's workspace's events to the browser.

use app::live::LiveEvent;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::Stream;
use std::convert::Infallible;
use std::time::Duration;
use tokio::sync::broadcast;

/// One channel for the process; each stream keeps only its own workspace's events.
#[derive(Clone)]
pub struct Events {
    tx: broadcast::Sender<(i64, LiveEvent)>,
}

impl Default for Events {
    fn default() -> Self {
        // A slow browser that falls this far behind misses events and refetches on the next one.
        let (tx, _) = broadcast::channel(1024);
        Events { tx }
    }
}

impl Events {
    pub fn publish(&self, workspace_id: i64, event: LiveEvent) {
        // No subscriber is not an error: nobody has a page open.
        let _ = self.tx.send((workspace_id, event));
    }

    pub fn subscribe(&self) -> broadcast::Receiver<(i64, LiveEvent)> {
        self.tx.subscribe()
    }

    /// The SSE response for one workspace's events, with a keep-alive comment so proxies keep the
    /// connection open.
    pub fn stream(&self, workspace_id: i64) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
        let rx = self.subscribe();
        let stream = futures::stream::unfold(rx, move |mut rx| async move {
            loop {
                match rx.recv().await {
                    Ok((ws, event)) if ws == workspace_id => {
                        let data = serde_json::to_string(&event).unwrap_or_default();
                        return Some((Ok(Event::default().event("message").data(data)), rx));
                    }
                    Ok(_) => continue,
                    // Fell behind: tell the page something changed so it refetches everything.
                    Err(broadcast::error::RecvError::Lagged(_)) => {
                        let data = serde_json::to_string(&LiveEvent::Rescored { changed: 1 }).unwrap_or_default();
                        return Some((Ok(Event::default().event("message").data(data)), rx));
                    }
                    Err(broadcast::error::RecvError::Closed) => return None,
                }
            }
        });
        Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
    }
}
