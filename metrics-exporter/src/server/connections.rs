//! The server's connections: how many there are, which are waiting for a request and which are
//! answering one, and how many response bytes are in flight. A slot is never held by a client
//! that does not use it: when a new connection arrives at the limit, the connection that has
//! waited longest for a request (a silent or trickling client, a stalled TLS handshake, an idle
//! keep-alive) is closed to make room; when the bytes of unsent answers pass their budget, the
//! connection whose answer has been going out longest (a slow reader) is closed. Answers that
//! share one rendered buffer (requests that joined one render) count its bytes once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use tokio::task::AbortHandle;

/// A connection's id in the table.
pub(super) type Id = u64;

/// An answer older than this may be cut to admit a new connection when no connection is
/// waiting: a scrape that is going out normally is not.
const SLOW_ANSWER: Duration = Duration::from_secs(1);

#[derive(Debug)]
pub(super) struct Connections {
    max_connections: usize,
    max_in_flight_bytes: usize,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    next: Id,
    open: HashMap<Id, Connection>,
    /// The bytes of the buffers below.
    in_flight_bytes: usize,
    /// The rendered buffers not yet sent, by address: their length and how many answers hold
    /// them.
    buffers: HashMap<usize, (usize, u32)>,
}

#[derive(Debug)]
struct Connection {
    /// Closes it (aborts its task); set just after it is spawned.
    abort: Option<AbortHandle>,
    /// Whether its task has run: it has read what the client sent at once. Only then may it be
    /// closed for waiting: under a flood of connections, the server accepts faster than it
    /// polls, and a client that sent its request at once must not be closed before it was read.
    started: bool,
    /// Answers requested and not yet sent (pipelined requests queue up).
    answering: u32,
    /// Since when it waits for a request (`answering == 0`), or answers.
    since: Instant,
    /// The buffers of its answers not yet sent (addresses; one entry per answer).
    holds: Vec<usize>,
}

impl Connection {
    fn close(&self) {
        if let Some(abort) = &self.abort {
            abort.abort();
        }
    }
}

impl Connections {
    pub(super) fn new(max_connections: usize, max_in_flight_bytes: usize) -> Arc<Connections> {
        Arc::new(Connections {
            max_connections,
            max_in_flight_bytes,
            state: Mutex::new(State::default()),
        })
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Takes a new connection, closing another one first if the table is full: the one waiting
    /// for a request the longest, else the one answering the longest (for over a second).
    /// `None` if every connection is answering a recent request: the new one is refused.
    pub(super) fn admit(&self) -> Option<Id> {
        let mut state = self.state();
        if state.open.len() >= self.max_connections && !state.close_oldest(true) {
            return None;
        }
        let id = state.next;
        state.next += 1;
        state.open.insert(
            id,
            Connection {
                abort: None,
                started: false,
                answering: 0,
                since: Instant::now(),
                holds: Vec::new(),
            },
        );
        Some(id)
    }

    /// Frees a file descriptor when accepting failed for want of one: closes the connection
    /// waiting for a request the longest. Whether there was one.
    pub(super) fn shed(&self) -> bool {
        self.state().close_oldest(false)
    }

    pub(super) fn spawned(&self, id: Id, abort: AbortHandle) {
        match self.state().open.get_mut(&id) {
            Some(connection) => connection.abort = Some(abort),
            // Already gone (closed before its handle was known): close its task.
            None => abort.abort(),
        }
    }

    /// The connection's task runs.
    pub(super) fn started(&self, id: Id) {
        if let Some(connection) = self.state().open.get_mut(&id) {
            connection.started = true;
        }
    }

    /// The connection's task ended.
    pub(super) fn closed(&self, id: Id) {
        self.state().remove(id);
    }

    /// A request arrived on the connection.
    pub(super) fn request(&self, id: Id) {
        if let Some(connection) = self.state().open.get_mut(&id) {
            if connection.answering == 0 {
                connection.since = Instant::now();
            }
            connection.answering += 1;
        }
    }

    /// An answer whose body is `body` starts going out on the connection; closes the
    /// connections whose answers have been going out longest while the unsent bytes exceed the
    /// budget. The returned guard says when the answer is sent (or dropped with the connection).
    pub(super) fn answer(self: &Arc<Self>, id: Id, body: &[u8]) -> InFlight {
        let buffer = body.as_ptr() as usize;
        let mut state = self.state();
        let state = &mut *state;
        if let Some(connection) = state.open.get_mut(&id) {
            connection.holds.push(buffer);
            let (_, holders) = state.buffers.entry(buffer).or_insert_with(|| {
                state.in_flight_bytes += body.len();
                (body.len(), 0)
            });
            *holders += 1;
        }
        while state.in_flight_bytes > self.max_in_flight_bytes {
            let slowest = state
                .open
                .iter()
                .filter(|(other, c)| **other != id && !c.holds.is_empty())
                .min_by_key(|(_, c)| c.since)
                .map(|(other, _)| *other);
            let Some(slowest) = slowest else { break };
            state.remove(slowest);
        }
        InFlight {
            connections: Arc::clone(self),
            id,
            buffer,
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.state().open.len()
    }
}

impl State {
    /// Closes the connection waiting for a request the longest, or (if `or_answering`) the one
    /// answering the longest for over [`SLOW_ANSWER`]. Whether one was closed.
    fn close_oldest(&mut self, or_answering: bool) -> bool {
        let waiting = self
            .open
            .iter()
            .filter(|(_, c)| c.answering == 0 && c.started)
            .min_by_key(|(_, c)| c.since);
        let victim = match waiting {
            Some((id, _)) => Some(*id),
            None if or_answering => self
                .open
                .iter()
                .filter(|(_, c)| c.since.elapsed() > SLOW_ANSWER)
                .min_by_key(|(_, c)| c.since)
                .map(|(id, _)| *id),
            None => None,
        };
        match victim {
            Some(victim) => {
                self.remove(victim);
                true
            }
            None => false,
        }
    }

    /// Closes and forgets a connection; its answers' buffers are no longer its.
    fn remove(&mut self, id: Id) {
        let Some(connection) = self.open.remove(&id) else {
            return;
        };
        connection.close();
        for buffer in connection.holds {
            self.release(buffer);
        }
    }

    /// One answer holding `buffer` is gone.
    fn release(&mut self, buffer: usize) {
        if let Some((len, holders)) = self.buffers.get_mut(&buffer) {
            *holders -= 1;
            if *holders == 0 {
                self.in_flight_bytes -= *len;
                self.buffers.remove(&buffer);
            }
        }
    }
}

/// One answer, in flight until dropped: the answer's body owns it, so it drops when the server
/// has written the last byte (or the connection closes).
#[derive(Debug)]
pub(super) struct InFlight {
    connections: Arc<Connections>,
    id: Id,
    buffer: usize,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let mut state = self.connections.state();
        let state = &mut *state;
        // A closed connection's answers were released when it was closed.
        let Some(connection) = state.open.get_mut(&self.id) else {
            return;
        };
        if let Some(at) = connection.holds.iter().position(|b| *b == self.buffer) {
            connection.holds.swap_remove(at);
            connection.answering = connection.answering.saturating_sub(1);
            if connection.answering == 0 {
                connection.since = Instant::now();
            }
            state.release(self.buffer);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_longest_waiting_connection_makes_room() {
        let table = Connections::new(2, 1000);
        let tasks: Vec<_> = (0..2)
            .map(|_| tokio::spawn(std::future::pending::<()>()))
            .collect();
        let a = table.admit().unwrap();
        table.spawned(a, tasks[0].abort_handle());
        table.started(a);
        let b = table.admit().unwrap();
        table.spawned(b, tasks[1].abort_handle());
        table.started(b);
        table.request(b);
        // Full: `a` (waiting) makes room, not `b` (answering).
        let c = table.admit().unwrap();
        assert_eq!(table.len(), 2);
        tokio::task::yield_now().await;
        assert!(tasks[0].is_finished());
        assert!(!tasks[1].is_finished());
        // Both answering recent requests: a newcomer is refused.
        table.request(c);
        assert!(table.admit().is_none());
    }

    #[tokio::test]
    async fn unsent_bytes_over_the_budget_close_the_slowest_reader() {
        let table = Connections::new(10, 1000);
        let slow_task = tokio::spawn(std::future::pending::<()>());
        let slow = table.admit().unwrap();
        table.spawned(slow, slow_task.abort_handle());
        table.request(slow);
        let (slow_body, fast_body) = (vec![0u8; 800], vec![0u8; 800]);
        let slow_answer = table.answer(slow, &slow_body);
        let fast = table.admit().unwrap();
        table.request(fast);
        let fast_answer = table.answer(fast, &fast_body);
        tokio::task::yield_now().await;
        assert!(
            slow_task.is_finished(),
            "the older answer's connection is closed"
        );
        drop(slow_answer);
        drop(fast_answer);
        assert_eq!(table.state().in_flight_bytes, 0);
    }

    #[test]
    fn a_shared_buffer_counts_once() {
        let table = Connections::new(10, 1000);
        let body = vec![0u8; 600];
        let (a, b) = (table.admit().unwrap(), table.admit().unwrap());
        table.request(a);
        table.request(b);
        let (first, second) = (table.answer(a, &body), table.answer(b, &body));
        assert_eq!(table.state().in_flight_bytes, 600);
        drop(first);
        assert_eq!(table.state().in_flight_bytes, 600);
        drop(second);
        assert_eq!(table.state().in_flight_bytes, 0);
        assert_eq!(table.len(), 2);
    }
}
