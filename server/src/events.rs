//! Server-sent events: every change a page should show without a reload is published here, and
//! `/api/events` streams the caller's workspace's events to the browser.
//!
//! Once [`Events::start`] has attached the store, each event worth replaying is written to the
//! event log first and so gets an id: a browser that reconnects with `Last-Event-ID` is sent what
//! it missed, or told to refetch when it missed more than the log keeps. On Postgres the log write
//! also NOTIFYs every replica, and each replica's listener hands the event to its own browsers — so
//! a move made through one server reaches pages open on another.

use crate::store::live::{parse_notification, LoggedEvent, Replay};
use crate::store::{Backend, Store};
use app::live::LiveEvent;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::Stream;
use std::collections::{HashSet, VecDeque};
use std::convert::Infallible;
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::sync::{broadcast, mpsc};

/// An event with the workspace it belongs to and, once logged, its id.
#[derive(Clone, Debug, PartialEq)]
pub struct Stamped {
    pub id: Option<i64>,
    pub workspace_id: i64,
    pub event: LiveEvent,
}

/// At most this many missed events are replayed to a reconnecting browser; beyond, it refetches.
const REPLAY_MAX: i64 = 500;

/// One channel for the process; each stream keeps only its own workspace's events.
#[derive(Clone)]
pub struct Events {
    tx: broadcast::Sender<Arc<Stamped>>,
    outbox: Arc<OnceLock<mpsc::UnboundedSender<(i64, LiveEvent)>>>,
    store: Arc<OnceLock<Store>>,
}

impl Default for Events {
    fn default() -> Self {
        // A slow browser that falls this far behind is told to refetch.
        let (tx, _) = broadcast::channel(4096);
        Events {
            tx,
            outbox: Default::default(),
            store: Default::default(),
        }
    }
}

impl Events {
    /// Announces a change. Never waits: logging and fan-out happen in order on a background task.
    pub fn publish(&self, workspace_id: i64, event: LiveEvent) {
        match self.outbox.get() {
            Some(out) => {
                let _ = out.send((workspace_id, event));
            }
            None => self.deliver(Stamped {
                id: None,
                workspace_id,
                event,
            }),
        }
    }

    /// Hands an event to this process's open streams. No subscriber is not an error.
    fn deliver(&self, stamped: Stamped) {
        let _ = self.tx.send(Arc::new(stamped));
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Stamped>> {
        self.tx.subscribe()
    }

    /// Attaches the store: events are logged from now on and, on Postgres, fanned out across
    /// replicas. Call once, inside the runtime; later calls do nothing.
    pub fn start(&self, store: Store) {
        if self.store.set(store.clone()).is_err() {
            return;
        }
        let (out, mut pending) = mpsc::unbounded_channel::<(i64, LiveEvent)>();
        let _ = self.outbox.set(out);
        let me = self.clone();
        let postgres = store.backend() == Backend::Postgres;
        let writer_store = store.clone();
        tokio::spawn(async move {
            while let Some((ws, event)) = pending.recv().await {
                let payload = serde_json::to_string(&event).unwrap_or_default();
                let logged = if event.worth_replaying() {
                    writer_store.log_event(ws, &payload, chrono::Utc::now()).await.map(Some)
                } else if postgres {
                    writer_store.notify_event(ws, &payload).await.map(|_| None)
                } else {
                    Ok(None)
                };
                match logged {
                    // On Postgres the listener delivers it, to this replica as to the others.
                    Ok(_) if postgres => {}
                    Ok(id) => me.deliver(Stamped {
                        id,
                        workspace_id: ws,
                        event,
                    }),
                    Err(e) => {
                        tracing::warn!(error = %e, "live event not logged; delivered to this server's pages only");
                        me.deliver(Stamped {
                            id: None,
                            workspace_id: ws,
                            event,
                        });
                    }
                }
            }
        });
        if postgres {
            tokio::spawn(self.clone().listen(store));
        }
    }

    /// Postgres: hands every replica's events to this process's streams, catching up from the log
    /// after the listening connection drops.
    async fn listen(self, store: Store) {
        let mut seen = Seen {
            newest: store.last_event_id().await.unwrap_or(0),
            ..Default::default()
        };
        loop {
            let mut listener = match store.listen_events().await {
                Ok(l) => l,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot listen for live events; retrying");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            };
            self.catch_up(&store, &mut seen).await;
            loop {
                match listener.try_recv().await {
                    Ok(Some(note)) => {
                        let Some((id, ws, json)) = parse_notification(note.payload()) else {
                            continue;
                        };
                        let Ok(event) = serde_json::from_str::<LiveEvent>(&json) else {
                            continue;
                        };
                        if id.is_some_and(|id| !seen.first_time(id)) {
                            continue;
                        }
                        self.deliver(Stamped {
                            id,
                            workspace_id: ws,
                            event,
                        });
                    }
                    // The connection dropped; the next call reconnects. Events logged meanwhile
                    // are read back from the log.
                    Ok(None) => self.catch_up(&store, &mut seen).await,
                    Err(e) => {
                        tracing::warn!(error = %e, "live event listener failed; reconnecting");
                        tokio::time::sleep(Duration::from_millis(500)).await;
                        break;
                    }
                }
            }
        }
    }

    async fn catch_up(&self, store: &Store, seen: &mut Seen) {
        // A little before the newest seen: ids commit slightly out of order across replicas.
        let from = (seen.newest - 64).max(0);
        match store.events_after(None, from, REPLAY_MAX * 4).await {
            Ok(events) => {
                for e in events {
                    if seen.first_time(e.id) {
                        if let Some(stamped) = stamped(&e) {
                            self.deliver(stamped);
                        }
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "cannot read missed live events"),
        }
    }

    /// The SSE response for one workspace's events: first what a reconnecting browser missed
    /// since `last_event_id`, then live ones, with a keep-alive comment so proxies keep it open.
    ///
    /// `still_allowed` re-checks the stream's session or display link whenever someone's access
    /// in the workspace ends; when it no longer holds, the stream says `signed_out` and closes.
    pub async fn stream(
        &self,
        workspace_id: i64,
        last_event_id: Option<i64>,
        still_allowed: AccessCheck,
    ) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
        // Subscribed before the log is read, so nothing falls between the replay and the live part.
        let rx = self.subscribe();
        let mut queue: VecDeque<Event> = VecDeque::new();
        let mut replayed = HashSet::new();
        queue.push_back(Event::default().retry(Duration::from_secs(2)).comment("live"));
        if let (Some(after), Some(store)) = (last_event_id, self.store.get()) {
            match store.replay_events(workspace_id, after, REPLAY_MAX).await {
                Ok(Replay::Events(events)) => {
                    for e in events {
                        replayed.insert(e.id);
                        queue.push_back(Event::default().id(e.id.to_string()).data(e.payload));
                    }
                }
                Ok(Replay::TooFarBehind) => {
                    let newest = store.last_event_id().await.unwrap_or(0);
                    queue.push_back(resync(Some(newest)));
                }
                Err(e) => {
                    tracing::warn!(error = %e, "cannot replay live events; asking the page to refetch");
                    queue.push_back(resync(None));
                }
            }
        }
        let state = StreamState {
            rx,
            queue,
            replayed,
            still_allowed,
            ended: false,
        };
        let stream = futures::stream::unfold(state, move |mut st| async move {
            if let Some(first) = st.queue.pop_front() {
                return Some((Ok(first), st));
            }
            if st.ended {
                return None;
            }
            loop {
                match st.rx.recv().await {
                    Ok(s) if s.workspace_id == workspace_id && s.event == LiveEvent::AccessChanged => {
                        if !(st.still_allowed)().await {
                            st.ended = true;
                            return Some((Ok(signed_out()), st));
                        }
                    }
                    Ok(s) if s.workspace_id == workspace_id => {
                        if s.id.is_some_and(|id| st.replayed.contains(&id)) {
                            continue;
                        }
                        return Some((Ok(sse_event(&s)), st));
                    }
                    Ok(_) => continue,
                    Err(broadcast::error::RecvError::Lagged(_)) => {
                        // Whatever was missed may have ended this stream's access.
                        if !(st.still_allowed)().await {
                            st.ended = true;
                            return Some((Ok(signed_out()), st));
                        }
                        return Some((Ok(resync(None)), st));
                    }
                    Err(broadcast::error::RecvError::Closed) => return None,
                }
            }
        });
        Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
    }
}

/// Whether a stream's session or display link still holds (asked again when access changes).
pub type AccessCheck = Arc<dyn Fn() -> futures::future::BoxFuture<'static, bool> + Send + Sync>;

struct StreamState {
    rx: broadcast::Receiver<Arc<Stamped>>,
    queue: VecDeque<Event>,
    replayed: HashSet<i64>,
    still_allowed: AccessCheck,
    ended: bool,
}

fn stamped(e: &LoggedEvent) -> Option<Stamped> {
    Some(Stamped {
        id: Some(e.id),
        workspace_id: e.workspace_id,
        event: serde_json::from_str(&e.payload).ok()?,
    })
}

fn sse_event(s: &Stamped) -> Event {
    let data = serde_json::to_string(&s.event).unwrap_or_default();
    let event = Event::default().data(data);
    match s.id {
        Some(id) => event.id(id.to_string()),
        None => event,
    }
}

/// The last event of a stream whose session or display link ended.
fn signed_out() -> Event {
    Event::default().data(serde_json::to_string(&LiveEvent::SignedOut).unwrap_or_default())
}

/// "Refetch everything": carries the newest id so the next reconnect does not ask again.
fn resync(newest: Option<i64>) -> Event {
    let event = Event::default().data(serde_json::to_string(&LiveEvent::Resync).unwrap_or_default());
    match newest {
        Some(id) if id > 0 => event.id(id.to_string()),
        _ => event,
    }
}

/// Ids already delivered (the last few thousand), so a catch-up never repeats one.
#[derive(Default)]
struct Seen {
    newest: i64,
    order: VecDeque<i64>,
    set: HashSet<i64>,
}

impl Seen {
    fn first_time(&mut self, id: i64) -> bool {
        if !self.set.insert(id) {
            return false;
        }
        self.order.push_back(id);
        if self.order.len() > 4096 {
            if let Some(old) = self.order.pop_front() {
                self.set.remove(&old);
            }
        }
        self.newest = self.newest.max(id);
        true
    }
}
