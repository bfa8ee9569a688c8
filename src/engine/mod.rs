//! The discrete-event engine: an integer clock, a deterministic future event
//! list, and the run loop. It knows nothing about clinics; the model implements
//! [`Process`] and the engine drives it.

pub mod queue;
pub mod time;

pub use queue::{EventQueue, TimerId};
pub use time::SimTime;

/// A model the engine can drive: it handles one event at a time and schedules
/// more through the queue it is handed.
pub trait Process {
    /// Events are small plain values: the queue moves them around freely.
    type Event: Copy;
    fn handle(&mut self, now: SimTime, event: Self::Event, queue: &mut EventQueue<Self::Event>);
}

/// Runs events in order until the queue is empty or the next event is at or
/// after `until`. Returns the number of events handled.
pub fn run_until<P: Process>(
    process: &mut P,
    queue: &mut EventQueue<P::Event>,
    until: SimTime,
) -> u64 {
    let mut handled = 0;
    while let Some((now, event)) = queue.pop_before(until) {
        process.handle(now, event, queue);
        handled += 1;
    }
    handled
}
