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
//!
//! Beside the heap are *timers*: sources that never have more than one event
//! pending, such as a referral stream's next arrival or a track's next
//! session. Each holds its one event; the queue remembers which is soonest
//! and pops it when it comes before the top of the heap. An M/M/c customer
//! then costs one heap push and pop instead of two. A timer's event gets its
//! sequence number when it is set, as a push would give it, so the order of
//! events is exactly what it would be with everything in the heap.

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

/// `h[i]`, for the sift loops, whose indices stay below `h.len()` by
/// construction (a parent is below its child, a child is checked against
/// the length before it is read). Unchecked in optimised builds: the checks
/// LLVM could not fold there were 2% of an M/M/10 customer's instructions.
/// Checked wherever tests run (`cfg(test)`, debug builds), so the queue's
/// tests, which pit it against a sorted list, exercise every index.
#[inline(always)]
fn at<E>(h: &[Entry<E>], i: usize) -> &Entry<E> {
    if cfg!(any(test, debug_assertions)) {
        &h[i]
    } else {
        // SAFETY: every caller passes `i < h.len()` (see above).
        unsafe { h.get_unchecked(i) }
    }
}

/// `&mut h[i]`, as [`at`].
#[inline(always)]
fn at_mut<E>(h: &mut [Entry<E>], i: usize) -> &mut Entry<E> {
    if cfg!(any(test, debug_assertions)) {
        &mut h[i]
    } else {
        // SAFETY: as for `at`.
        unsafe { h.get_unchecked_mut(i) }
    }
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
    /// Each timer's pending event, if it has one.
    timers: Vec<Option<Entry<E>>>,
    /// The timer with the earliest pending event; `NO_TIMER` when none has one.
    soonest: usize,
    /// That event's key; `u128::MAX`, above every real key, when none is
    /// pending. Kept beside `soonest` so that each pop compares two fields
    /// instead of looking the timer up (a tenth of an M/M/10 customer's
    /// instructions went to that lookup and its checks).
    soonest_key: u128,
    next_seq: u64,
}

/// A source of events with at most one pending at a time, made by
/// [`EventQueue::add_timer`] and set with [`EventQueue::set_timer`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimerId(u32);

const NO_TIMER: usize = usize::MAX;

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
            timers: Vec::new(),
            soonest: NO_TIMER,
            soonest_key: u128::MAX,
            next_seq: 0,
        }
    }

    /// The key of an event scheduled now at `time` in `class`.
    #[inline]
    fn key(&mut self, time: SimTime, class: u8) -> u128 {
        let seq = self.next_seq;
        self.next_seq += 1;
        debug_assert!(seq < 1 << SEQ_BITS);
        (u128::from(time.0) << 64) | (u128::from(class) << SEQ_BITS) | u128::from(seq)
    }

    /// A new timer, with no event pending.
    pub fn add_timer(&mut self) -> TimerId {
        self.timers.push(None);
        TimerId((self.timers.len() - 1) as u32)
    }

    /// Schedules `event` at `time` in `class` on `timer`. An event still
    /// pending there is replaced (the clinic sets a timer only once its last
    /// event has been popped).
    #[inline]
    pub fn set_timer(&mut self, timer: TimerId, time: SimTime, class: u8, event: E) {
        let key = self.key(time, class);
        let i = timer.0 as usize;
        if self.timers[i].replace(Entry { key, event }).is_some() {
            self.find_soonest();
        } else if key < self.soonest_key {
            self.soonest = i;
            self.soonest_key = key;
        }
    }

    /// Points `soonest` (and `soonest_key`) at the timer with the earliest
    /// pending event.
    #[inline]
    fn find_soonest(&mut self) {
        let mut soonest = (u128::MAX, NO_TIMER);
        for (i, t) in self.timers.iter().enumerate() {
            if let Some(t) = t {
                soonest = soonest.min((t.key, i));
            }
        }
        (self.soonest_key, self.soonest) = soonest;
    }

    /// Schedules `event` at `time` in priority class `class` (lower runs first).
    #[inline]
    pub fn push(&mut self, time: SimTime, class: u8, event: E) {
        let key = self.key(time, class);
        let entry = Entry { key, event };
        self.heap.push(entry);
        // Sift up through a hole from the new last place: every index is
        // that place or one of its ancestors.
        let h = &mut self.heap[..];
        let mut hole = h.len() - 1;
        while hole > 0 {
            let parent = (hole - 1) / 2;
            if at(h, parent).key < key {
                break;
            }
            *at_mut(h, hole) = *at(h, parent);
            hole = parent;
        }
        *at_mut(h, hole) = entry;
    }

    /// The key of the heap's earliest event; `u128::MAX`, above every real
    /// key (a time of `u64::MAX`), when the heap is empty.
    #[inline]
    fn heap_key(&self) -> u128 {
        self.heap.first().map_or(u128::MAX, |e| e.key)
    }

    /// Removes and returns the earliest event.
    #[inline]
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        if self.soonest_key < self.heap_key() {
            self.pop_timer()
        } else {
            self.pop_heap()
        }
    }

    /// Takes the soonest timer's event and finds the next soonest.
    #[inline]
    fn pop_timer(&mut self) -> Option<(SimTime, E)> {
        let entry = self.timers.get_mut(self.soonest)?.take()?;
        self.find_soonest();
        Some((entry.time(), entry.event))
    }

    /// Removes and returns the earliest event of the heap.
    #[inline]
    fn pop_heap(&mut self) -> Option<(SimTime, E)> {
        let last = self.heap.pop()?;
        let h = &mut self.heap[..];
        let n = h.len();
        if n == 0 {
            return Some((last.time(), last.event));
        }
        let top = h[0];
        // Floyd: walk the hole from the root down along the smaller child to
        // a leaf, then sift `last` up from there (usually not far). Every
        // index read is a child below `n` or a parent of a place below `n`.
        let mut hole = 0;
        let mut child = 1;
        while child + 1 < n {
            child += usize::from(at(h, child + 1).key < at(h, child).key);
            *at_mut(h, hole) = *at(h, child);
            hole = child;
            child = 2 * hole + 1;
        }
        if child < n {
            *at_mut(h, hole) = *at(h, child);
            hole = child;
        }
        while hole > 0 {
            let parent = (hole - 1) / 2;
            if at(h, parent).key < last.key {
                break;
            }
            *at_mut(h, hole) = *at(h, parent);
            hole = parent;
        }
        *at_mut(h, hole) = last;
        Some((top.time(), top.event))
    }

    /// Removes and returns the earliest event if it is before `until`.
    /// (`always`: the run loop's one call per event; LLVM kept it out of
    /// line once the clinic's handlers grew, at +6% of M/M/c's instructions.)
    #[inline(always)]
    pub fn pop_before(&mut self, until: SimTime) -> Option<(SimTime, E)> {
        let heap_key = self.heap_key();
        // Nothing pending reads as a time of u64::MAX, never before `until`.
        let before = |key: u128| ((key >> 64) as u64) < until.0;
        if self.soonest_key < heap_key {
            if before(self.soonest_key) {
                self.pop_timer()
            } else {
                None
            }
        } else if before(heap_key) {
            self.pop_heap()
        } else {
            None
        }
    }

    /// The time of the earliest event, if any.
    #[inline]
    pub fn peek_time(&self) -> Option<SimTime> {
        let key = self.heap_key().min(self.soonest_key);
        (key != u128::MAX).then_some(SimTime((key >> 64) as u64))
    }

    /// Events pending, in the heap and on timers.
    pub fn len(&self) -> usize {
        self.heap.len() + self.timers.iter().filter(|t| t.is_some()).count()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
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
        let mut next = crate::testing::xorshift(12_345u64);
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
    fn timers_and_heap_pop_in_one_key_order() {
        // Three timers and the heap, set and pushed at random: the pops must
        // come in (time, class, seq) order, as if all were in the heap.
        let mut q = EventQueue::with_capacity(4);
        let timers: Vec<TimerId> = (0..3).map(|_| q.add_timer()).collect();
        let mut armed = [false; 3];
        // (time, class, seq, timer it was set on)
        let mut model: Vec<(u64, u8, u64, Option<usize>)> = Vec::new();
        let mut next = crate::testing::xorshift(987_654_321u64);
        let (mut seq, mut now, mut from_timers) = (0, 0, 0);
        for _ in 0..20_000 {
            // Half pops, half inserts (on an idle timer where one is drawn),
            // so the queue stays short and timers fire often.
            let r = next() % 4;
            if r < 2 {
                let got = q.pop();
                model.sort();
                let want = (!model.is_empty()).then(|| model.remove(0));
                assert_eq!(
                    got.map(|(t, (s, _))| (t.0, s)),
                    want.map(|(t, _, s, _)| (t, s))
                );
                if let Some((t, _, _, timer)) = want {
                    now = t;
                    if let Some(i) = timer {
                        armed[i] = false;
                        from_timers += 1;
                    }
                }
            } else {
                let t = now + next() % 50;
                let class = (next() % 3) as u8;
                let i = (next() % 3) as usize;
                if r == 2 && !armed[i] {
                    q.set_timer(timers[i], SimTime(t), class, (seq, Some(i)));
                    armed[i] = true;
                    model.push((t, class, seq, Some(i)));
                } else {
                    q.push(SimTime(t), class, (seq, None));
                    model.push((t, class, seq, None));
                }
                seq += 1;
            }
            assert_eq!(q.len(), model.len());
            let earliest = model.iter().map(|m| m.0).min();
            assert_eq!(q.peek_time().map(|t| t.0), earliest);
        }
        assert!(from_timers > 500, "timers barely used: {from_timers}");
    }

    #[test]
    fn a_timer_holds_its_place_in_fifo_order() {
        // Same time and class: a timer set between two pushes pops between them.
        let mut q = EventQueue::new();
        let t = q.add_timer();
        q.push(SimTime(7), 1, "first");
        q.set_timer(t, SimTime(7), 1, "timer");
        q.push(SimTime(7), 1, "last");
        assert_eq!(q.pop_before(SimTime(8)), Some((SimTime(7), "first")));
        assert_eq!(q.pop_before(SimTime(8)), Some((SimTime(7), "timer")));
        // Popped, the timer can be set again; the horizon applies to it too.
        q.set_timer(t, SimTime(9), 0, "again");
        assert_eq!(q.pop_before(SimTime(8)), Some((SimTime(7), "last")));
        assert_eq!(q.pop_before(SimTime(8)), None);
        assert_eq!(q.len(), 1);
        assert_eq!(q.pop(), Some((SimTime(9), "again")));
        assert!(q.is_empty());
        assert_eq!(q.pop(), None);
    }

    #[test]
    fn setting_a_pending_timer_replaces_its_event() {
        let mut q = EventQueue::new();
        let (a, b) = (q.add_timer(), q.add_timer());
        q.set_timer(a, SimTime(1), 0, "a at 1");
        q.set_timer(b, SimTime(5), 0, "b at 5");
        // Moved later, past b: b must now come first.
        q.set_timer(a, SimTime(9), 0, "a at 9");
        assert_eq!(q.len(), 2);
        assert_eq!(q.pop(), Some((SimTime(5), "b at 5")));
        // Moved earlier.
        q.set_timer(a, SimTime(2), 0, "a at 2");
        assert_eq!(q.pop(), Some((SimTime(2), "a at 2")));
        assert_eq!(q.pop(), None);
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
