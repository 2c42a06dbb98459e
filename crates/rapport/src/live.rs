//! Live updates for open pages. Every change writes an event row in the same transaction, so
//! one task per process tails the `events` table and broadcasts each new ticket event to the
//! pages that listen (server-sent events). Tailing the table rather than signalling from the
//! handlers means every writer is seen (the API, inbound mail, the worker, another `serve` node
//! on the same database). On PostgreSQL a trigger on `events` notifies the `rapport_events`
//! channel when a write commits and the tail, listening on its own connection, reads at once;
//! the polling stays as the fallback (and is all there is on SQLite).
//!
//! Notifications are counted from the database: the tail watches the newest notification's
//! id and read time (written by any node) and tells the open pages, which each read their
//! agent's unread count again.
//!
//! Presence (who has a ticket open, who is writing on it) is kept in the process for the pages
//! open on this node and shared through the `presence` table: the tail writes this node's
//! pages when they change (and renews them every [`HEARTBEAT`]; they expire after
//! [`PRESENCE_TTL`] if the node stops) and reads the other nodes' on every round.

use rapport_store::Store;
use rapport_store::events::EventNotifications;
use rapport_store::presence::PresenceRow;
use serde::Serialize;
use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::sync::{Notify, broadcast, watch};

/// How often the events table is read without being told.
const TAIL_EVERY: Duration = Duration::from_millis(300);

/// How often this node renews its open pages in the `presence` table.
const HEARTBEAT: Duration = Duration::from_secs(10);
/// How long they count without being renewed.
const PRESENCE_TTL: time::Duration = time::Duration::seconds(30);

/// On PostgreSQL, ids are taken before commit, so a later id can become visible before an
/// earlier one; the tail looks back this many ids and skips those it already sent.
const POSTGRES_LOOKBACK: i64 = 200;

/// Something happened to a ticket.
#[derive(Debug, Clone, Serialize)]
pub struct Change {
    pub ticket_id: i64,
    pub action: String,
    /// The ticket is in a restricted team: only its members and admins are told.
    #[serde(skip)]
    pub restricted: bool,
}

/// Who is looking at a ticket.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Viewer {
    pub agent_id: i64,
    pub name: String,
    /// Writing in the composer.
    pub composing: bool,
}

#[derive(Debug, Clone)]
pub enum Signal {
    Change(Change),
    Presence {
        ticket_id: i64,
    },
    /// Some agent's notifications changed (a new one on any node, or marked read here): each
    /// open page reads its agent's unread count again from the database.
    Notifications,
}

#[derive(Clone)]
pub struct Live {
    inner: Arc<Inner>,
}

struct Inner {
    signals: broadcast::Sender<Signal>,
    /// ticket id -> connection id -> viewer.
    viewers: Mutex<HashMap<i64, HashMap<u64, Viewer>>>,
    next_connection: AtomicU64,
    closed: watch::Sender<bool>,
    /// This process among the nodes, in the `presence` table.
    node: String,
    /// ticket id -> viewers on other nodes, as last read.
    elsewhere: Mutex<HashMap<i64, Vec<Viewer>>>,
    /// Pages on this node joined, left or started writing: the tail writes them out.
    presence_changed: Notify,
}

impl Default for Live {
    fn default() -> Self {
        let (signals, _) = broadcast::channel(1024);
        let (closed, _) = watch::channel(false);
        Live {
            inner: Arc::new(Inner {
                signals,
                viewers: Mutex::default(),
                next_connection: AtomicU64::new(1),
                closed,
                node: rapport_store::secrets::generate("node-"),
                elsewhere: Mutex::default(),
                presence_changed: Notify::new(),
            }),
        }
    }
}

impl Live {
    pub fn subscribe(&self) -> broadcast::Receiver<Signal> {
        self.inner.signals.subscribe()
    }

    /// Completes when the server shuts down, so open streams end and let it stop.
    pub fn closed(&self) -> watch::Receiver<bool> {
        self.inner.closed.subscribe()
    }

    pub fn close(&self) {
        self.inner.closed.send_replace(true);
    }

    fn viewers_map(&self) -> std::sync::MutexGuard<'_, HashMap<i64, HashMap<u64, Viewer>>> {
        self.inner
            .viewers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Registers a page showing a ticket; the returned guard removes it when dropped.
    pub fn join(&self, ticket_id: i64, agent_id: i64, name: &str) -> Presence {
        let connection = self.inner.next_connection.fetch_add(1, Ordering::Relaxed);
        self.viewers_map().entry(ticket_id).or_default().insert(
            connection,
            Viewer {
                agent_id,
                name: name.to_owned(),
                composing: false,
            },
        );
        let _ = self.inner.signals.send(Signal::Presence { ticket_id });
        self.inner.presence_changed.notify_one();
        Presence {
            live: self.clone(),
            ticket_id,
            connection,
        }
    }

    /// An agent starts or stops writing on a ticket, on every page of theirs showing it.
    pub fn composing(&self, ticket_id: i64, agent_id: i64, composing: bool) {
        self.composing_on(ticket_id, agent_id, None, composing);
    }

    /// An agent starts or stops writing on one page (`page`: the name its stream was given,
    /// [`Presence::page`]), or on all of theirs on this node when the page is not one of
    /// this node's. Writing belongs to the page, not the agent: another tab of theirs on the
    /// same ticket is not writing, and a page that goes away takes its writing with it.
    pub fn composing_on(&self, ticket_id: i64, agent_id: i64, page: Option<&str>, composing: bool) {
        let connection = page
            .and_then(|page| page.strip_prefix(&format!("{}-", self.inner.node)))
            .and_then(|connection| connection.parse::<u64>().ok());
        let mut changed = false;
        if let Some(viewers) = self.viewers_map().get_mut(&ticket_id) {
            let known = connection.filter(|c| {
                viewers
                    .get(c)
                    .is_some_and(|viewer| viewer.agent_id == agent_id)
            });
            for (_, viewer) in viewers
                .iter_mut()
                .filter(|(c, v)| v.agent_id == agent_id && known.is_none_or(|known| known == **c))
            {
                changed |= viewer.composing != composing;
                viewer.composing = composing;
            }
        }
        if changed {
            let _ = self.inner.signals.send(Signal::Presence { ticket_id });
            self.inner.presence_changed.notify_one();
        }
    }

    /// Tells open pages to read their notification counts again.
    pub fn notifications_changed(&self) {
        let _ = self.inner.signals.send(Signal::Notifications);
    }

    /// Everyone on a ticket, one entry per agent (an agent with two tabs is one viewer,
    /// composing if either tab is).
    pub fn viewers(&self, ticket_id: i64) -> Vec<Viewer> {
        let map = self.viewers_map();
        let elsewhere = self
            .inner
            .elsewhere
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let here = map.get(&ticket_id).into_iter().flat_map(|v| v.values());
        let there = elsewhere.get(&ticket_id).into_iter().flatten();
        let mut by_agent: Vec<Viewer> = Vec::new();
        for viewer in here.chain(there) {
            match by_agent.iter_mut().find(|v| v.agent_id == viewer.agent_id) {
                Some(seen) => seen.composing |= viewer.composing,
                None => by_agent.push(viewer.clone()),
            }
        }
        by_agent.sort_by_key(|v| v.agent_id);
        by_agent
    }

    /// Reads new events and broadcasts them, until the server shuts down. `database_url` is
    /// the store's: on PostgreSQL the tail listens there for new events.
    pub async fn tail(self, store: Store, database_url: String) {
        let mut closed = self.closed();
        let mut listener = match EventNotifications::listen(&store, &database_url).await {
            Ok(listener) => listener,
            Err(error) => {
                tracing::warn!(%error, "live updates cannot listen for new events; they poll");
                None
            }
        };
        let lookback = match store.backend() {
            rapport_store::Backend::Sqlite => 0,
            rapport_store::Backend::Postgres => POSTGRES_LOOKBACK,
        };
        // Start from the newest event; if the database is not reachable yet, keep trying.
        let mut last = loop {
            match store.last_event_id().await {
                Ok(id) => break id,
                Err(error) => {
                    tracing::warn!(%error, "live updates wait for the database");
                    tokio::select! {
                        _ = tokio::time::sleep(Duration::from_secs(5)) => {}
                        _ = closed.changed() => return,
                    }
                }
            }
        };
        let started_at = last;
        let mut sent: BTreeSet<i64> = BTreeSet::new();
        let mut notifications = store.notifications_version().await.unwrap_or_default();
        // Pages open here: written when they change, renewed on every heartbeat.
        let mut publish_at = tokio::time::Instant::now();
        let mut published_any = false;
        loop {
            tokio::select! {
                _ = tokio::time::sleep(TAIL_EVERY) => {}
                _ = notified(&mut listener) => {}
                _ = self.inner.presence_changed.notified() => {
                    publish_at = tokio::time::Instant::now();
                }
                _ = closed.changed() => {
                    // Withdraw this node's pages rather than leave them to expire.
                    if published_any {
                        let _ = store.publish_presence(&self.inner.node, &[], PRESENCE_TTL).await;
                    }
                    return;
                }
            }
            if tokio::time::Instant::now() >= publish_at {
                let pages = self.pages_here();
                if !pages.is_empty() || published_any {
                    match store
                        .publish_presence(&self.inner.node, &pages, PRESENCE_TTL)
                        .await
                    {
                        Ok(()) => published_any = !pages.is_empty(),
                        Err(error) => {
                            tracing::warn!(%error, "could not share who is on which ticket")
                        }
                    }
                }
                publish_at = tokio::time::Instant::now() + HEARTBEAT;
            }
            match store.presence_elsewhere(&self.inner.node).await {
                Ok(rows) => self.seen_elsewhere(rows),
                Err(error) => tracing::warn!(%error, "could not read who is on other nodes"),
            }
            let events = match store.ticket_events_after(last - lookback).await {
                Ok(events) => events,
                Err(error) => {
                    tracing::warn!(%error, "could not read new events; trying again");
                    continue;
                }
            };
            for event in events {
                let id = event.id;
                if id <= started_at || !sent.insert(id) {
                    continue;
                }
                last = last.max(id);
                // An agent's message ends their writing on the ticket on every node, whichever
                // node it was sent through: the page that was writing has gone on.
                if event.action == rapport_store::conversation::MESSAGE_ADDED
                    && let Some(agent_id) = event.by_agent
                {
                    self.composing(event.ticket_id, agent_id, false);
                }
                let change = Change {
                    ticket_id: event.ticket_id,
                    action: event.action,
                    restricted: event.restricted,
                };
                let _ = self.inner.signals.send(Signal::Change(change));
            }
            // Only ids the next read can return need remembering.
            sent = sent.split_off(&(last - lookback + 1));
            match store.notifications_version().await {
                Ok(version) if version != notifications => {
                    notifications = version;
                    self.notifications_changed();
                }
                Ok(_) => {}
                Err(error) => tracing::warn!(%error, "could not read new notifications"),
            }
        }
    }
}

impl Live {
    /// The ticket pages open on this node, by connection.
    fn pages_here(&self) -> Vec<(String, PresenceRow)> {
        let map = self.viewers_map();
        map.iter()
            .flat_map(|(ticket_id, viewers)| {
                viewers.iter().map(move |(connection, viewer)| {
                    (
                        format!("{}-{connection}", self.inner.node),
                        PresenceRow {
                            ticket_id: *ticket_id,
                            agent_id: viewer.agent_id,
                            name: viewer.name.clone(),
                            composing: viewer.composing,
                        },
                    )
                })
            })
            .collect()
    }

    /// Keeps the pages open on other nodes, and tells this node's pages about tickets whose
    /// viewers changed.
    fn seen_elsewhere(&self, rows: Vec<PresenceRow>) {
        let mut now: HashMap<i64, Vec<Viewer>> = HashMap::new();
        for row in rows {
            now.entry(row.ticket_id).or_default().push(Viewer {
                agent_id: row.agent_id,
                name: row.name,
                composing: row.composing,
            });
        }
        let mut elsewhere = self
            .inner
            .elsewhere
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let changed: Vec<i64> = now
            .keys()
            .chain(elsewhere.keys())
            .copied()
            .collect::<BTreeSet<i64>>()
            .into_iter()
            .filter(|ticket_id| now.get(ticket_id) != elsewhere.get(ticket_id))
            .collect();
        *elsewhere = now;
        drop(elsewhere);
        for ticket_id in changed {
            let _ = self.inner.signals.send(Signal::Presence { ticket_id });
        }
    }
}

/// Completes when new events were notified (never, without a listener). The listener
/// reconnects by itself after an error; until then the polling carries on.
async fn notified(listener: &mut Option<EventNotifications>) {
    let Some(listener) = listener else {
        return std::future::pending().await;
    };
    if let Err(error) = listener.next().await {
        tracing::warn!(%error, "the live-update listener lost its connection; reconnecting");
        tokio::time::sleep(TAIL_EVERY).await;
    }
}

/// A page's place among a ticket's viewers.
pub struct Presence {
    live: Live,
    ticket_id: i64,
    connection: u64,
}

impl Presence {
    /// The page's name among all nodes' pages (as in the `presence` table), which its script
    /// sends back when the agent starts or stops writing there.
    pub fn page(&self) -> String {
        format!("{}-{}", self.live.inner.node, self.connection)
    }
}

impl Drop for Presence {
    fn drop(&mut self) {
        let mut map = self.live.viewers_map();
        if let Some(viewers) = map.get_mut(&self.ticket_id) {
            viewers.remove(&self.connection);
            if viewers.is_empty() {
                map.remove(&self.ticket_id);
            }
        }
        drop(map);
        let _ = self.live.inner.signals.send(Signal::Presence {
            ticket_id: self.ticket_id,
        });
        self.live.inner.presence_changed.notify_one();
    }
}
