//! The future event list: a binary heap ordered by (time, priority class,
//! insertion sequence). Ties are never broken at random: at equal times the
//! lower class runs first, and within a class events run in the order they
//! were scheduled (FIFO). That makes every run reproducible and lets the model
//! say, e.g., that a seat released at 10:00 is free for the 10:00 admission.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use super::time::SimTime;

struct Entry<E> {
    time: SimTime,
    class: u8,
    seq: u64,
    event: E,
}

impl<E> Entry<E> {
    fn key(&self) -> (SimTime, u8, u64) {
        (self.time, self.class, self.seq)
    }
}

impl<E> PartialEq for Entry<E> {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}
impl<E> Eq for Entry<E> {}
impl<E> PartialOrd for Entry<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<E> Ord for Entry<E> {
    fn cmp(&self, other: &Self) -> Ordering {
        // BinaryHeap is a max-heap: reverse so the earliest key pops first.
        other.key().cmp(&self.key())
    }
}

/// A priority queue of events of type `E`.
pub struct EventQueue<E> {
    heap: BinaryHeap<Entry<E>>,
    next_seq: u64,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> EventQueue<E> {
    pub fn new() -> Self {
        EventQueue {
            heap: BinaryHeap::new(),
            next_seq: 0,
        }
    }

    pub fn with_capacity(n: usize) -> Self {
        EventQueue {
            heap: BinaryHeap::with_capacity(n),
            next_seq: 0,
        }
    }

    /// Schedules `event` at `time` in priority class `class` (lower runs first).
    pub fn push(&mut self, time: SimTime, class: u8, event: E) {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.heap.push(Entry {
            time,
            class,
            seq,
            event,
        });
    }

    /// Removes and returns the earliest event.
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        self.heap.pop().map(|e| (e.time, e.event))
    }

    /// The time of the earliest event, if any.
    pub fn peek_time(&self) -> Option<SimTime> {
        self.heap.peek().map(|e| e.time)
    }

    pub fn len(&self) -> usize {
        self.heap.len()
    }

    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pops_by_time_then_class_then_insertion_order() {
        let mut q = EventQueue::new();
        q.push(SimTime(10), 2, "t10-c2-first");
        q.push(SimTime(5), 9, "t5");
        q.push(SimTime(10), 0, "t10-c0");
        q.push(SimTime(10), 2, "t10-c2-second");
        q.push(SimTime(10), 1, "t10-c1");
        q.push(SimTime(10), 2, "t10-c2-third");
        let order: Vec<_> = std::iter::from_fn(|| q.pop().map(|(_, e)| e)).collect();
        assert_eq!(
            order,
            [
                "t5",
                "t10-c0",
                "t10-c1",
                "t10-c2-first",
                "t10-c2-second",
                "t10-c2-third"
            ]
        );
    }

    #[test]
    fn fifo_holds_for_many_equal_keys() {
        let mut q = EventQueue::new();
        for i in 0..1000 {
            q.push(SimTime(1), 0, i);
        }
        for i in 0..1000 {
            assert_eq!(q.pop(), Some((SimTime(1), i)));
        }
        assert!(q.is_empty());
    }
}
