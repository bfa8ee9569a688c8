//! Random streams. Every random number in a trial comes from a generator
//! derived from (seed, trial, purpose, ...) by hashing, never from a global or
//! thread-local RNG, so a trial's draws do not depend on which thread runs it.
//!
//! Each referral stream has its own arrival generator keyed by the stream's
//! *name*, and each patient gets their own generators, one per purpose, keyed
//! by (stream name, arrival number). Two scenarios run with the same seed
//! therefore see the same referrals and the same patient draws wherever they
//! agree (common random numbers), and changing capacity does not change who
//! arrives when.

use rand::RngCore;
use rand_pcg::Pcg64Mcg;

/// The generator used everywhere in the simulation: small, fast, and with a
/// value-stable output across crate versions.
pub type SimRng = Pcg64Mcg;

/// What a generator is for; part of its seed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u64)]
pub enum Purpose {
    Arrivals = 1,
    Show = 2,
    Track = 3,
    Patience = 4,
    Stay = 5,
    Attendance = 6,
    Hazard = 7,
    Routing = 8,
    /// A patient's class (drawn from their stream's shares) and their own
    /// attendance rate, where patients differ.
    Class = 9,
}

/// SplitMix64's finaliser: a bijective 64-bit mixer with full avalanche.
pub fn mix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Hashes a sequence of words into one seed.
pub fn derive(words: &[u64]) -> u64 {
    words
        .iter()
        .fold(0x243F_6A88_85A3_08D3, |h, &w| mix64(h ^ mix64(w)))
}

/// FNV-1a of a name, so streams are keyed by what they are called, not where
/// they stand in the file.
pub fn name_key(name: &str) -> u64 {
    name.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

pub fn rng_from(words: &[u64]) -> SimRng {
    seeded_rng(derive(words))
}

/// `SimRng::seed_from_u64(seed)`, computed without its serial chain.
///
/// `seed_from_u64` fills the 16 seed bytes with four PCG32 outputs, each
/// state a multiply-add of the one before, writes them to memory and reads
/// them back as one `u128` in an out-of-line `from_seed`; an M/M/1 run
/// waited on that chain at every patient's first draw (computing it as
/// below took 5% off the run). The k-th state is also the seed times `MUL`
/// to the k, plus `INC` times the sum of the lower powers, so the four are
/// computed side by side here and assembled in registers. Same generator,
/// same draws (checked in the tests).
/// (`always`: once per patient and purpose, in the run loop; as the loop
/// grew LLVM stopped inlining it, and the call cost M/M/1 1.5%.)
#[inline(always)]
pub fn seeded_rng(seed: u64) -> SimRng {
    const MUL: u64 = 6_364_136_223_846_793_005;
    const INC: u64 = 11_634_580_027_462_260_723;
    // (MUL^k, INC * (MUL^(k-1) + ... + 1)) for k = 1..=4.
    const STEPS: [(u64, u64); 4] = {
        let mut steps = [(MUL, INC); 4];
        let mut k = 1;
        while k < 4 {
            let (m, c) = steps[k - 1];
            steps[k] = (m.wrapping_mul(MUL), c.wrapping_mul(MUL).wrapping_add(INC));
            k += 1;
        }
        steps
    };
    fn output(state: u64) -> u128 {
        let xorshifted = (((state >> 18) ^ state) >> 27) as u32;
        let rot = (state >> 59) as u32;
        u128::from(xorshifted.rotate_right(rot))
    }
    let word = |k: usize| output(seed.wrapping_mul(STEPS[k].0).wrapping_add(STEPS[k].1));
    // The seed bytes, read as a little-endian u128: output k at bits 32k.
    SimRng::new(word(0) | word(1) << 32 | word(2) << 64 | word(3) << 96)
}

/// How many generators a patient has: one per [`Purpose`] from `Show` on,
/// in that order.
const PATIENT_PURPOSES: usize = Purpose::Class as usize - Purpose::Show as usize + 1;

/// A patient's generators, one per purpose, each seeded on its first draw.
/// A patient has eight but most use only a few (a no-show none, a bed
/// patient one), and deriving and seeding them was a tenth of an M/M/c run,
/// so both are put off until needed. The draws for `purpose` are exactly
/// those of `SimRng::seed_from_u64(mix64(base ^ mix64(purpose)))`.
///
/// The patient's `base` is kept once and a bit per purpose says which slot
/// is seeded, rather than a flag and a copy of `base` beside every
/// generator: [`PatientRng::restart`] then makes a recycled record another
/// patient's by writing two words, whatever its slots hold.
#[derive(Debug, Clone)]
pub struct PatientRng {
    base: u64,
    /// Bit `i` set: `slots[i]` is seeded; otherwise it holds a stale or
    /// placeholder generator that is never drawn from.
    seeded: u8,
    slots: [SimRng; PATIENT_PURPOSES],
}

impl PatientRng {
    /// Generators of the `index`-th arrival (0-based) of the referral stream
    /// named by `stream_key`, in trial `trial` of a run seeded `seed`.
    pub fn new(seed: u64, trial: u64, stream_key: u64, index: u64) -> PatientRng {
        PatientRng::from_prefix(derive(&[seed, trial, stream_key]), index)
    }

    /// [`PatientRng::new`] with `prefix = derive(&[seed, trial, stream_key])`
    /// hashed once per stream rather than once per patient.
    #[inline]
    pub fn from_prefix(prefix: u64, index: u64) -> PatientRng {
        PatientRng {
            base: patient_base(prefix, index),
            seeded: 0,
            // Placeholders until the first draw; cheap to build.
            slots: std::array::from_fn(|_| SimRng::new(0)),
        }
    }

    /// Makes these the generators [`PatientRng::from_prefix`] gives, reusing
    /// the storage (the slots are reseeded before their first draw).
    #[inline]
    pub fn restart(&mut self, prefix: u64, index: u64) {
        self.base = patient_base(prefix, index);
        self.seeded = 0;
    }

    /// The generator for `purpose` (any but `Arrivals`), seeded on its
    /// first draw.
    #[inline]
    pub fn stream(&mut self, purpose: Purpose) -> Stream<'_> {
        debug_assert!(purpose != Purpose::Arrivals, "not a patient's purpose");
        Stream {
            rngs: self,
            slot: purpose as usize - Purpose::Show as usize,
            salt: mix64(purpose as u64),
        }
    }

    /// The generator for `purpose` itself, seeded now if it is not yet: for
    /// a draw whose sampling code LLVM keeps out of line, which then takes
    /// a plain generator rather than a [`Stream`] whose slot it does not
    /// know (a bounds check and a shift on every draw: a bed's stay, 1% of
    /// an M/M/1 run). Same generator, same draws as [`PatientRng::stream`].
    #[inline(always)]
    pub fn generator(&mut self, purpose: Purpose) -> &mut SimRng {
        debug_assert!(purpose != Purpose::Arrivals, "not a patient's purpose");
        let slot = purpose as usize - Purpose::Show as usize;
        self.seeded(slot, mix64(purpose as u64))
    }

    /// The generator in `slot`, seeded from `base ^ salt` if it is not yet.
    /// (`always`: on every stay draw, in the run loop; left to LLVM it was
    /// inlined without its slot known, and M/M/1 paid a bounds check and a
    /// shift on every draw, 1% of its instructions.)
    #[inline(always)]
    fn seeded(&mut self, slot: usize, salt: u64) -> &mut SimRng {
        let rng = &mut self.slots[slot];
        if self.seeded & (1 << slot) == 0 {
            *rng = seeded_rng(mix64(self.base ^ salt));
            self.seeded |= 1 << slot;
        }
        rng
    }
}

/// One of a patient's generators, as [`PatientRng::stream`] lends it.
/// Seeding is checked at each draw rather than when it is lent: LLVM then
/// folds it into the sampling code (seeding when lent kept `seed_from_u64`
/// out of line and cost an M/M/1 run 3%), and a stream lent but never drawn
/// from (a distribution that needs no randomness) is never seeded.
///
/// It carries its purpose as the slot and the hashed purpose its seed needs:
/// where it is lent the purpose is a constant, so both are worked out at
/// compile time rather than at each draw.
pub struct Stream<'a> {
    rngs: &'a mut PatientRng,
    slot: usize,
    /// `mix64(purpose)`.
    salt: u64,
}

impl RngCore for Stream<'_> {
    #[inline]
    fn next_u32(&mut self) -> u32 {
        self.rngs.seeded(self.slot, self.salt).next_u32()
    }

    /// `always`: every stay and arrival draw comes here, and LLVM kept it
    /// out of line (1% of an M/M/1 run's instructions were the call).
    #[inline(always)]
    fn next_u64(&mut self) -> u64 {
        self.rngs.seeded(self.slot, self.salt).next_u64()
    }

    #[inline]
    fn fill_bytes(&mut self, dst: &mut [u8]) {
        self.rngs.seeded(self.slot, self.salt).fill_bytes(dst)
    }
}

/// `derive(&[seed, trial, stream_key, index])` given the prefix
/// `derive(&[seed, trial, stream_key])` (derive() folds left).
#[inline]
fn patient_base(prefix: u64, index: u64) -> u64 {
    mix64(prefix ^ mix64(index))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    /// Pinned values: if these change, every published result changes. Update
    /// only on purpose, and say so in the changelog.
    #[test]
    fn streams_are_value_stable() {
        let mut r = rng_from(&[1, 0, name_key("community"), Purpose::Arrivals as u64]);
        let x: u64 = r.random();
        let mut p = PatientRng::new(1, 0, name_key("community"), 0);
        let y: u64 = p.stream(Purpose::Attendance).random();
        assert_eq!((x, y), (PINNED_X, PINNED_Y), "random streams changed");
    }

    const PINNED_X: u64 = 1_802_439_939_716_493_678;
    const PINNED_Y: u64 = 11_053_763_987_052_846_253;

    #[test]
    fn seeded_rng_is_seed_from_u64() {
        let mut x = 0x0123_4567_89AB_CDEFu64;
        for seed in (0..2_000u64).chain([u64::MAX, u64::MAX - 1, 1 << 63]) {
            x = mix64(x);
            for s in [seed, x] {
                let mut want = SimRng::seed_from_u64(s);
                let mut got = seeded_rng(s);
                let a: [u64; 3] = want.random();
                let b: [u64; 3] = got.random();
                assert_eq!(a, b, "seed {s}");
            }
        }
    }

    #[test]
    fn lazy_generators_draw_exactly_what_eager_ones_would() {
        let prefix = derive(&[3, 4]);
        let base = derive(&[3, 4, 5]);
        let mut eager = SimRng::seed_from_u64(mix64(base ^ mix64(Purpose::Stay as u64)));
        let mut lazy = PatientRng::from_prefix(prefix, 5);
        let a: Vec<u64> = (0..5).map(|_| eager.random()).collect();
        let b: Vec<u64> = (0..5)
            .map(|_| lazy.stream(Purpose::Stay).random())
            .collect();
        assert_eq!(a, b);
        let (mut x, mut y) = ([0u8; 13], [0u8; 13]);
        eager.fill_bytes(&mut x);
        lazy.stream(Purpose::Stay).fill_bytes(&mut y);
        assert_eq!(x, y);
        assert_eq!(
            eager.random::<u32>(),
            lazy.stream(Purpose::Stay).random::<u32>()
        );
    }

    #[test]
    fn a_generator_lent_whole_draws_what_its_stream_draws() {
        let prefix = derive(&[3, 4]);
        for purpose in [Purpose::Stay, Purpose::Class, Purpose::Show] {
            let (mut a, mut b) = (
                PatientRng::from_prefix(prefix, 7),
                PatientRng::from_prefix(prefix, 7),
            );
            // Interleaved: seeded by either, continued by the other.
            let x: Vec<u64> = (0..6).map(|_| a.stream(purpose).random()).collect();
            let y: Vec<u64> = (0..6)
                .map(|i| {
                    if i % 2 == 0 {
                        b.generator(purpose).random()
                    } else {
                        b.stream(purpose).random()
                    }
                })
                .collect();
            assert_eq!(x, y, "{purpose:?}");
        }
    }

    #[test]
    fn restarted_generators_are_those_of_the_new_patient() {
        let prefix = derive(&[1, 0, name_key("community")]);
        let mut reused = PatientRng::from_prefix(prefix, 3);
        let _: u64 = reused.stream(Purpose::Hazard).random();
        let _: u64 = reused.stream(Purpose::Show).random();
        reused.restart(prefix, 9);
        let mut fresh = PatientRng::from_prefix(prefix, 9);
        for purpose in [Purpose::Hazard, Purpose::Show, Purpose::Routing] {
            let want: [u64; 3] = fresh.stream(purpose).random();
            let got: [u64; 3] = reused.stream(purpose).random();
            assert_eq!(got, want);
        }
    }

    #[test]
    fn patient_generators_from_a_hashed_prefix_are_the_same() {
        let prefix = derive(&[1, 0, name_key("community")]);
        let mut a = PatientRng::new(1, 0, name_key("community"), 17);
        let mut b = PatientRng::from_prefix(prefix, 17);
        assert_eq!(
            a.stream(Purpose::Hazard).random::<u64>(),
            b.stream(Purpose::Hazard).random::<u64>()
        );
    }

    #[test]
    fn purposes_and_patients_get_distinct_streams() {
        let mut a = PatientRng::new(1, 0, 7, 0);
        let mut b = PatientRng::new(1, 0, 7, 1);
        let xs: [u64; 4] = [
            a.stream(Purpose::Show).random(),
            a.stream(Purpose::Track).random(),
            b.stream(Purpose::Show).random(),
            b.stream(Purpose::Track).random(),
        ];
        for i in 0..4 {
            for j in i + 1..4 {
                assert_ne!(xs[i], xs[j]);
            }
        }
    }
}
