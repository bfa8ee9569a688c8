//! The future event list: a binary heap ordered by (time, priority class,
//! insertion sequence). Ties are never broken at random: at equal times the
//! lower class runs first, and within a class events run in the order they
//! were scheduled (FIFO). That makes every run reproducible and lets the model
//! say, e.g., that a seat released at 10:00 is free for the 10:00 admission.
//!
//! The heap is written out here rather than taken from `std` because popping
//! is a fifth of a clinic trial: the key (time, class, seq) is packed into
//! one `u128` so that entries compare with one integer comparison, and events
//! are small `Copy` values, so the sift loops move entries through a hole
//! instead of swapping them. Pop uses Floyd's bottom-up sift: the element
//! moved to the root is a late one and belongs near the bottom.

use super::time::SimTime;

/// Bits of the packed key left for the insertion sequence number. 2^56
/// insertions is more than any run can make (years at a billion a second).
const SEQ_BITS: u32 = 56;

#[derive(Clone, Copy)]
struct Entry<E> {
    /// time << 64 | class << SEQ_BITS | seq: unique, and ordered as (time, class, seq).
    key: u128,
    event: E,
}

impl<E> Entry<E> {
    fn time(&self) -> SimTime {
        SimTime((self.key >> 64) as u64)
    }
}

/// A priority queue of events of type `E`, earliest first.
pub struct EventQueue<E> {
    /// A binary min-heap on `key`.
    heap: Vec<Entry<E>>,
    next_seq: u64,
}

impl<E: Copy> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E: Copy> EventQueue<E> {
    pub fn new() -> Self {
        Self::with_capacity(0)
    }

    pub fn with_capacity(n: usize) -> Self {
        EventQueue {
            heap: Vec::with_capacity(n),
            next_seq: 0,
        }
    }

    /// Schedules `event` at `time` in priority class `class` (lower runs first).
    #[inline]
    pub fn push(&mut self, time: SimTime, class: u8, event: E) {
        let seq = self.next_seq;
        self.next_seq += 1;
        debug_assert!(seq < 1 << SEQ_BITS);
        let key = (u128::from(time.0) << 64) | (u128::from(class) << SEQ_BITS) | u128::from(seq);
        let entry = Entry { key, event };
        self.heap.push(entry);
        // Sift up through a hole from the new last place. On a local slice
        // the bounds checks fold away.
        let h = &mut self.heap[..];
        let mut hole = h.len() - 1;
        while hole > 0 {
            let parent = (hole - 1) / 2;
            if h[parent].key < key {
                break;
            }
            h[hole] = h[parent];
            hole = parent;
        }
        h[hole] = entry;
    }

    /// Removes and returns the earliest event.
    #[inline]
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        let last = self.heap.pop()?;
        let h = &mut self.heap[..];
        let n = h.len();
        if n == 0 {
            return Some((last.time(), last.event));
        }
        let top = h[0];
        // Floyd: walk the hole from the root down along the smaller child to
        // a leaf, then sift `last` up from there (usually not far).
        let mut hole = 0;
        let mut child = 1;
        while child + 1 < n {
            child += usize::from(h[child + 1].key < h[child].key);
            h[hole] = h[child];
            hole = child;
            child = 2 * hole + 1;
        }
        if child < n {
            h[hole] = h[child];
            hole = child;
        }
        while hole > 0 {
            let parent = (hole - 1) / 2;
            if h[parent].key < last.key {
                break;
            }
            h[hole] = h[parent];
            hole = parent;
        }
        h[hole] = last;
        Some((top.time(), top.event))
    }

    /// Removes and returns the earliest event if it is before `until`.
    #[inline]
    pub fn pop_before(&mut self, until: SimTime) -> Option<(SimTime, E)> {
        if self.peek_time()? >= until {
            return None;
        }
        self.pop()
    }

    /// The time of the earliest event, if any.
    #[inline]
    pub fn peek_time(&self) -> Option<SimTime> {
        self.heap.first().map(Entry::time)
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
    fn packed_key_keeps_the_full_range_of_times_and_classes() {
        let mut q = EventQueue::new();
        q.push(SimTime(u64::MAX), 0, "never");
        q.push(SimTime(1 << 40), 255, "late-c255");
        q.push(SimTime(1 << 40), 0, "late-c0");
        q.push(SimTime(0), 255, "zero-c255");
        assert_eq!(q.peek_time(), Some(SimTime(0)));
        let order: Vec<_> = std::iter::from_fn(|| q.pop()).collect();
        assert_eq!(
            order,
            [
                (SimTime(0), "zero-c255"),
                (SimTime(1 << 40), "late-c0"),
                (SimTime(1 << 40), "late-c255"),
                (SimTime(u64::MAX), "never"),
            ]
        );
    }

    #[test]
    fn pops_in_key_order_under_random_interleaving() {
        // A model of the queue: every (time, class, seq) pushed, popped as
        // a sorted list would give them.
        let mut q = EventQueue::with_capacity(4);
        let mut model: Vec<(u64, u8, u64)> = Vec::new();
        let mut x = 12_345u64;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let mut seq = 0;
        let mut now = 0;
        for _ in 0..20_000 {
            if next() % 3 == 0 {
                let got = q.pop();
                model.sort();
                let want = (!model.is_empty()).then(|| model.remove(0));
                assert_eq!(got.map(|(t, s)| (t.0, s)), want.map(|(t, _, s)| (t, s)));
                if let Some((t, _, _)) = want {
                    now = t;
                }
            } else {
                let t = now + next() % 50;
                let class = (next() % 3) as u8;
                q.push(SimTime(t), class, seq);
                model.push((t, class, seq));
                seq += 1;
            }
        }
        assert_eq!(q.len(), model.len());
    }

    #[test]
    fn pop_before_stops_at_the_horizon() {
        let mut q = EventQueue::new();
        q.push(SimTime(5), 0, 'a');
        q.push(SimTime(10), 0, 'b');
        assert_eq!(q.pop_before(SimTime(10)), Some((SimTime(5), 'a')));
        assert_eq!(q.pop_before(SimTime(10)), None);
        assert_eq!(q.len(), 1);
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
