//! Helpers for the unit tests.

/// Marsaglia's xorshift64 from `seed` (not 0): a fixed, dependency-free
/// stream of test inputs. Each call returns the next state.
pub fn xorshift(seed: u64) -> impl FnMut() -> u64 {
    let mut x = seed;
    move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    }
}
