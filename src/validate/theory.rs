//! Exact steady-state results of the queues the validation cases simulate:
//! Erlang B (M/M/c/c, and M/G/c/c by insensitivity), Erlang C (M/M/c with an
//! unlimited queue), Erlang A (M/M/c+M: exponential patience) and M/M/inf;
//! and the wait for an appointment at a slotted server (slots at fixed
//! instants of a weekly cycle, Poisson bookings: [`slotted_wait`]).
//!
//! Rates are per unit of time (the cases use days): `lambda` arrivals, `mu`
//! service completions per busy server, `theta` abandonments per waiting
//! customer. The offered load is `a = lambda / mu`. Functions return NaN for
//! parameters outside their domain instead of panicking.

/// Erlang's loss formula B(c, a): the share of arrivals that find all `c`
/// servers busy in M/M/c/c (and in M/G/c/c, which depends on the service
/// distribution only through its mean). The recursion
/// `B(k) = a B(k-1) / (k + a B(k-1))`, `B(0) = 1`, never forms `a^c / c!`,
/// so it is stable for any `c`.
pub fn erlang_b(c: u32, a: f64) -> f64 {
    if !(a.is_finite() && a >= 0.0) {
        return f64::NAN;
    }
    let mut b = 1.0;
    for k in 1..=c {
        b = a * b / (f64::from(k) + a * b);
    }
    b
}

/// Erlang's delay formula C(c, a): the probability that an arrival to M/M/c
/// waits, from B by `C = c B / (c - a (1 - B))`. 1 when `a >= c` (the queue
/// grows without bound, everyone eventually waits).
pub fn erlang_c(c: u32, a: f64) -> f64 {
    if c == 0 || !(a.is_finite() && a >= 0.0) {
        return f64::NAN;
    }
    let c_f = f64::from(c);
    if a >= c_f {
        return 1.0;
    }
    let b = erlang_b(c, a);
    c_f * b / (c_f - a * (1.0 - b))
}

/// Steady state of M/M/c with an unlimited FCFS queue.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Mmc {
    /// Probability an arrival waits at all: Erlang C.
    pub p_wait: f64,
    /// Mean wait in queue Wq = C / (c mu - lambda).
    pub mean_wait: f64,
    /// Mean queue length Lq = lambda Wq.
    pub mean_queue: f64,
    /// Mean number in service (busy servers) = a.
    pub mean_busy: f64,
}

/// M/M/c: all NaN unless `lambda < c mu` (otherwise there is no steady state).
pub fn mmc(c: u32, lambda: f64, mu: f64) -> Mmc {
    let a = lambda / mu;
    let cap = f64::from(c) * mu;
    if c == 0 || !(lambda > 0.0 && mu > 0.0 && lambda < cap) {
        return Mmc {
            p_wait: f64::NAN,
            mean_wait: f64::NAN,
            mean_queue: f64::NAN,
            mean_busy: f64::NAN,
        };
    }
    let p_wait = erlang_c(c, a);
    let mean_wait = p_wait / (cap - lambda);
    Mmc {
        p_wait,
        mean_wait,
        mean_queue: lambda * mean_wait,
        mean_busy: a,
    }
}

/// Steady state of M/M/c+M (Erlang A): `c` servers, an unlimited FCFS queue,
/// and customers who abandon the queue after an exponential patience.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ErlangA {
    /// Probability an arrival has to wait (finds all servers busy).
    pub p_wait: f64,
    /// Probability an arrival abandons before service.
    pub p_abandon: f64,
    /// Mean number waiting.
    pub mean_queue: f64,
    /// Mean wait of the customers who are served (those who abandon excluded).
    pub mean_wait_served: f64,
    /// Mean time in queue of all arrivals, abandoning ones until they abandon.
    pub mean_wait_all: f64,
    /// Mean number in service = a (1 - p_abandon).
    pub mean_busy: f64,
}

/// Erlang A by its series. The number in system is a birth-death process
/// with death rate `n mu` below `c` and `c mu + (n - c) theta` above, so,
/// relative to the probability of exactly `c` in system,
///
/// - below `c` the weights sum to `1/B(c, a) - 1` (Erlang B, stable);
/// - above `c`, `q_k = prod_{j=1..k} lambda / (c mu + j theta)`.
///
/// An arrival who finds `k` waiting (PASTA) moves up through `k + 1` stages;
/// with `i` ahead the stage ends at rate `r_i = c mu + (i + 1) theta` (a
/// service or an abandonment ahead, or their own abandonment), so they are
/// served with probability `c mu / (c mu + (k + 1) theta)` (the product
/// telescopes), and the stage lengths are independent of which event ends
/// them: the wait of a served customer is `sum_{i=0..k} 1 / r_i`. This is
/// Palm's model (Erlang A), analysed in Garnett, Mandelbaum & Reiman (2002),
/// "Designing a call center with impatient customers", MSOM 4(3).
///
/// All NaN unless `c >= 1`, `lambda, mu > 0`, `theta >= 0`, and the series
/// converges (`theta > 0`, or `lambda < c mu` when `theta = 0`).
pub fn erlang_a(c: u32, lambda: f64, mu: f64, theta: f64) -> ErlangA {
    let nan = ErlangA {
        p_wait: f64::NAN,
        p_abandon: f64::NAN,
        mean_queue: f64::NAN,
        mean_wait_served: f64::NAN,
        mean_wait_all: f64::NAN,
        mean_busy: f64::NAN,
    };
    let ok = c >= 1
        && lambda.is_finite()
        && lambda > 0.0
        && mu.is_finite()
        && mu > 0.0
        && theta.is_finite()
        && theta >= 0.0;
    let cmu = f64::from(c) * mu;
    if !ok || (theta == 0.0 && lambda >= cmu) {
        return nan;
    }
    let a = lambda / mu;
    let below = 1.0 / erlang_b(c, a) - 1.0;
    // Sums over k >= 0 (k waiting) of q_k times: 1, k, P(abandon | k),
    // P(served | k), P(served | k) E[wait | served, k], E[time in queue | k].
    let (mut s_q, mut s_k, mut s_ab, mut s_sv, mut s_wsv, mut s_wall) =
        (0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
    let mut q = 1.0;
    // Partial sums of the stage lengths 1/r_i and of (reach stage i) / r_i.
    let mut stages = 0.0;
    let mut reach_stages = 0.0;
    let mut k: u64 = 0;
    loop {
        let kf = k as f64;
        let r = cmu + (kf + 1.0) * theta;
        stages += 1.0 / r;
        reach_stages += cmu / (cmu + kf * theta) / r;
        let served = cmu / r;
        s_q += q;
        s_k += kf * q;
        s_ab += q * (1.0 - served);
        s_sv += q * served;
        s_wsv += q * served * stages;
        s_wall += q * reach_stages;
        k += 1;
        q *= lambda / (cmu + k as f64 * theta);
        // Terms decrease geometrically once lambda < c mu + k theta; stop when
        // the rest cannot matter in double precision.
        let ratio = lambda / (cmu + k as f64 * theta);
        if ratio < 1.0 && q * (kf + 2.0) * stages.max(1.0) < 1e-17 * s_q * (1.0 - ratio) {
            break;
        }
        if k > 50_000_000 || !q.is_finite() {
            return nan;
        }
    }
    let z = below + s_q;
    // Busy servers straight from the distribution: below c, relative to p_c,
    // sum n p_n = a (1 - B) / B - c (the M/M/c/c mean, a (1 - B), rescaled).
    let b = erlang_b(c, a);
    let busy_below = a * (1.0 - b) / b - f64::from(c);
    ErlangA {
        p_wait: s_q / z,
        p_abandon: s_ab / z,
        mean_queue: s_k / z,
        mean_wait_served: s_wsv / (below + s_sv),
        mean_wait_all: s_wall / z,
        mean_busy: (busy_below + f64::from(c) * s_q) / z,
    }
}

// ---------------------------------------------------------------------------
// A slotted server: appointment slots at fixed instants of a weekly cycle.

/// Stationary mass of the backlog that the truncated state space may leave
/// out, at most: [`slotted_wait`] doubles the number of states until the
/// top quarter of them holds less than a tenth of this.
pub const SLOTTED_TAIL: f64 = 1e-12;

/// Most matrix entries the truncated chain may use (states x band width,
/// 80 MB of doubles), and most operations to build its first C rows;
/// beyond them [`slotted_wait`] gives up (None).
const SLOTTED_MAX_CELLS: usize = 10_000_000;
const SLOTTED_MAX_WORK: usize = 1_000_000_000;

/// Steady state of a slotted server (see [`slotted_wait`]). Times in days.
#[derive(Debug, Clone, PartialEq)]
pub struct SlottedWait {
    /// Mean wait from arrival to the appointment's instant.
    pub mean_days: f64,
    /// 90th percentile of that wait: the `t` with `cdf(t) = 0.9`.
    pub p90_days: f64,
    /// Share of the slots that are booked: arrivals per week / slots per week.
    pub slot_utilization: f64,
    /// Time-average number booked whose appointment has not yet come (the
    /// intake's waitlist), from the backlog's distribution; Little's law
    /// makes it `lambda x mean_days`, which the tests check.
    pub mean_booked: f64,
    /// How fast a server started empty forgets its start: the distance (total
    /// variation) of the backlog to its steady state decays like
    /// w^-3/2 gamma^w over weeks w, gamma = min_theta E[e^{theta (A - C)}] =
    /// e^{-C (rho - 1 - ln rho)} (A ~ Poisson(lambda W), C slots a week, rho
    /// the load: the rate at which a reflected random walk converges), so
    /// by a factor e every `relaxation_days` = W / (C (rho - 1 - ln rho)),
    /// about 2 W / (C (1 - rho)^2) near saturation; 0 when nobody arrives.
    /// The tests check the rate on the computed chain. For a warm-up, as
    /// [`super::cases::horizon`] takes it.
    pub relaxation_days: f64,
    /// States of the truncated backlog chain (0 ..= states - 1).
    pub states: usize,
    lambda: f64,
    gaps: Vec<f64>,
    slots: Vec<u32>,
    /// `after[k][y]`: P(y booked just after epoch k's slots are used).
    after: Vec<Vec<f64>>,
    /// `after_cum[k][y]`: P(at most y booked then).
    after_cum: Vec<Vec<f64>>,
    /// No wait is longer (up to the truncated tail): `cdf` is 1 from here.
    t_max: f64,
}

/// Poisson(mu) probabilities P(N = lo + i) = p[i], normalised, covering all
/// but a relative 1e-20 min(mu, 1) of the mass on either side (the factor
/// keeps P(N > 0) / mu exact for tiny mu, where it is divided by the rate).
/// Built from the mode outwards by the ratio recursion, so it never forms
/// e^-mu and cannot underflow.
struct Poisson {
    lo: usize,
    p: Vec<f64>,
}

impl Poisson {
    fn new(mu: f64) -> Poisson {
        if mu <= 0.0 {
            return Poisson {
                lo: 0,
                p: vec![1.0],
            };
        }
        let tol = 1e-20 * mu.min(1.0);
        let mode = mu.floor() as usize;
        let mut down = Vec::new();
        let (mut p, mut j) = (1.0, mode);
        while j > 0 {
            p *= j as f64 / mu;
            if p < tol {
                break;
            }
            down.push(p);
            j -= 1;
        }
        let lo = mode - down.len();
        let mut v: Vec<f64> = down.into_iter().rev().collect();
        v.push(1.0);
        let (mut p, mut j) = (1.0, mode);
        loop {
            j += 1;
            p *= mu / j as f64;
            if p < tol {
                break;
            }
            v.push(p);
        }
        let s: f64 = v.iter().sum();
        v.iter_mut().for_each(|x| *x /= s);
        Poisson { lo, p: v }
    }

    fn hi(&self) -> usize {
        self.lo + self.p.len() - 1
    }

    fn prob(&self, i: usize) -> f64 {
        i.checked_sub(self.lo)
            .and_then(|k| self.p.get(k))
            .copied()
            .unwrap_or(0.0)
    }

    /// `(P(N > j), E[(N - j)^+])` for j = 0 ..= hi (both 0 from hi on),
    /// summed from the top so that small tails keep their relative precision.
    fn tails(&self) -> (Vec<f64>, Vec<f64>) {
        let hi = self.hi();
        let (mut surv, mut excess) = (vec![0.0; hi + 1], vec![0.0; hi + 1]);
        let (mut s, mut e) = (0.0, 0.0);
        for j in (0..hi).rev() {
            s += self.prob(j + 1);
            e += s;
            surv[j] = s;
            excess[j] = e;
        }
        (surv, excess)
    }
}

/// One epoch: `c` of the booked are seen, then Poisson arrivals until the
/// next epoch. `v` has a fixed length; mass beyond its last state is kept
/// in the last state.
fn epoch_step(v: &[f64], c: usize, arrivals: &Poisson) -> Vec<f64> {
    let n = v.len();
    let mut out = vec![0.0; n];
    for (x, &px) in v.iter().enumerate() {
        if px == 0.0 {
            continue;
        }
        let base = x.saturating_sub(c) + arrivals.lo;
        for (i, &pa) in arrivals.p.iter().enumerate() {
            out[(base + i).min(n - 1)] += px * pa;
        }
    }
    out
}

/// A square matrix with `lo` diagonals below the main one and `hi` above.
struct Band {
    n: usize,
    lo: usize,
    hi: usize,
    a: Vec<f64>,
}

impl Band {
    fn idx(&self, i: usize, j: usize) -> usize {
        debug_assert!(j + self.lo >= i && j <= i + self.hi && i < self.n && j < self.n);
        i * (self.lo + self.hi + 1) + j + self.lo - i
    }
    fn get(&self, i: usize, j: usize) -> f64 {
        self.a[self.idx(i, j)]
    }
    fn add(&mut self, i: usize, j: usize, x: f64) {
        let k = self.idx(i, j);
        self.a[k] += x;
    }
}

/// Stationary distribution of a finite Markov chain by the GTH algorithm
/// (Grassmann, Taksar & Heyman 1985, "Regenerative analysis and steady
/// state distributions for Markov chains", Operations Research 33(5)):
/// state reduction that never subtracts, so it keeps full relative
/// precision even for tiny probabilities. Band structure is preserved by
/// the reduction, so the cost is states x lo x hi. The states below the
/// first one found unable to reach a lower state get probability 0.
fn gth(mut m: Band) -> Option<Vec<f64>> {
    let (n, lo, hi) = (m.n, m.lo, m.hi);
    // The lowest state of the closed class: when state k cannot reach any
    // lower state, the states below it are transient (a large batch of
    // arrivals between two epochs skips the lowest states: their
    // probability is below the Poisson tables' cut), with probability 0.
    let mut base = 0;
    for k in (1..n).rev() {
        let j0 = k.saturating_sub(lo);
        let s: f64 = (j0..k).map(|j| m.get(k, j)).sum();
        if s == 0.0 {
            base = k;
            break;
        }
        if !(s > 0.0 && s.is_finite()) {
            return None;
        }
        for i in k.saturating_sub(hi)..k {
            let up = m.get(i, k) / s;
            let at = m.idx(i, k);
            m.a[at] = up;
            if up != 0.0 {
                for j in j0..k {
                    let x = up * m.get(k, j);
                    m.add(i, j, x);
                }
            }
        }
    }
    let mut pi = vec![0.0; n];
    pi[base] = 1.0;
    for j in base + 1..n {
        pi[j] = (j.saturating_sub(hi).max(base)..j)
            .map(|i| pi[i] * m.get(i, j))
            .sum();
    }
    let total: f64 = pi.iter().sum();
    if !(total.is_finite() && total > 0.0) {
        return None;
    }
    pi.iter_mut().for_each(|x| *x /= total);
    Some(pi)
}

/// The periodic backlog chain, solved with `states` states.
struct Chain {
    /// `before[k][x]`: P(X_k = x), x booked just before epoch k.
    before: Vec<Vec<f64>>,
}

/// Decay rate per state of the backlog's stationary tail, P(X > x) ~ e^-ux:
/// the root u > 0 of lambda W (e^u - 1) = C u (a week of arrivals less a
/// week of slots, Cramer's condition E[e^{u (A - C)}] = 1). Infinite when
/// nobody arrives.
fn tail_rate(arrivals_week: f64, slots_week: f64) -> f64 {
    if arrivals_week <= 0.0 {
        return f64::INFINITY;
    }
    let f = |u: f64| arrivals_week * u.exp_m1() - slots_week * u;
    let mut hi = 1.0;
    while f(hi) <= 0.0 {
        hi *= 2.0;
    }
    let mut lo = 0.0;
    // f < 0 just above 0 (load < 1): bisection keeps f(lo) <= 0 < f(hi).
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi {
            break;
        }
        if f(mid) <= 0.0 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    hi
}

fn solve_chain(lambda: f64, gaps: &[f64], slots: &[u32], states: usize) -> Option<Chain> {
    let k_n = gaps.len();
    let week: f64 = gaps.iter().sum();
    let c_week: usize = slots.iter().map(|&c| c as usize).sum();
    let per_epoch: Vec<Poisson> = gaps.iter().map(|g| Poisson::new(lambda * g)).collect();
    let weekly = Poisson::new(lambda * week);
    let n = states;
    if n <= c_week {
        return None;
    }
    // Rows x < C: propagate x through the week's epochs (the floor at 0 can
    // bind); they reach no further than C + the epochs' largest arrivals.
    // Rows x >= C: the floor cannot bind (x - C + arrivals so far >= 0 at
    // every epoch), so the week moves x to x - C + Poisson(lambda W).
    let reach = (c_week + per_epoch.iter().map(Poisson::hi).sum::<usize>() + 1).min(n);
    let lo_band = c_week;
    let cells = n.checked_mul(lo_band + reach.max(weekly.hi()) + 1)?;
    let work = c_week
        .checked_mul(reach)?
        .checked_mul(per_epoch.iter().map(|p| p.p.len()).sum())?;
    if cells > SLOTTED_MAX_CELLS || work > SLOTTED_MAX_WORK {
        return None;
    }
    let mut low_rows = Vec::with_capacity(c_week);
    let mut hi_band = weekly.hi().saturating_sub(c_week);
    for x in 0..c_week {
        let mut v = vec![0.0; reach];
        v[x] = 1.0;
        for (k, arr) in per_epoch.iter().enumerate() {
            v = epoch_step(&v, slots[k] as usize, arr);
        }
        let top = v.iter().rposition(|&p| p > 0.0).unwrap_or(0);
        hi_band = hi_band.max(top.saturating_sub(x));
        low_rows.push(v);
    }
    let width = lo_band + hi_band + 1;
    let mut m = Band {
        n,
        lo: lo_band,
        hi: hi_band,
        a: vec![0.0; n * width],
    };
    for (x, row) in low_rows.iter().enumerate() {
        for (j, &p) in row.iter().enumerate() {
            if p != 0.0 {
                m.add(x, j, p);
            }
        }
    }
    for x in c_week..n {
        let base = x - c_week + weekly.lo;
        for (i, &p) in weekly.p.iter().enumerate() {
            m.add(x, (base + i).min(n - 1), p);
        }
    }
    let pi = gth(m)?;
    let mut before = Vec::with_capacity(k_n);
    before.push(pi);
    for k in 0..k_n - 1 {
        let next = epoch_step(&before[k], slots[k] as usize, &per_epoch[k]);
        before.push(next);
    }
    Some(Chain { before })
}

/// Exact steady state of a slotted server: appointment slots at the epochs
/// of a weekly cycle, Poisson arrivals of constant rate `lambda_per_day`,
/// each booking the earliest slot with a free place strictly after its
/// arrival (FIFO booking; every booked slot is used, shown up or not).
///
/// `gaps_days[k]`: days from epoch k to epoch k + 1 (the last wraps to
/// epoch 0 of the next week; 1 slot a weekday at a fixed time of day is
/// `[1, 1, 1, 1, 3]`, Monday first); `slots[k]`: places at epoch k (0
/// allowed; a gap of 0 puts two epochs at one instant). W is the week
/// (sum of the gaps), C its slots.
///
/// Model: X_k, the number booked but not yet seen just before epoch k,
/// satisfies X_{k+1} = max(X_k - c_k, 0) + A_k, A_k ~ Poisson(lambda g_k):
/// a Markov chain with period K (epochs a week). The week's transition
/// matrix is banded (a week lowers the backlog by at most C), so its
/// stationary distribution at epoch 0 is found exactly by GTH state
/// reduction on states 0 ..= N - 1, overflow kept in the last state. The
/// tail decays like e^-ux, u > 0 the root of lambda W (e^u - 1) = C u,
/// which sets the first N; N is doubled until the top quarter of the
/// states holds less than 1e-13. The other epochs follow by one step
/// each. An arrival at offset s of gap k finds B = Y_k + N(s) booked
/// ahead, Y_k = max(X_k - c_k, 0), N(s) ~ Poisson(lambda s), and waits
/// until the epoch holding the (B + 1)-th slot after it. Arrivals are
/// uniform over the week (constant rate): over the gaps in proportion to
/// their length, and uniform within each. So
///
/// - P(wait <= t) = (1 / W) sum_k integral_0^g_k P(Y_k + N(s) < S_k(s + t)) ds,
///   S_k(u) = slots at the epochs within u days after epoch k (k excluded);
/// - E\[wait\] = (1 / W) sum_k (g_k^2 / 2 + sum_b u_kb D_k(b)),
///   u_kb = integral_0^g_k P(Y_k + N(s) = b) ds, D_k(b) = days from
///   epoch k + 1 to the epoch of the (b + 1)-th slot.
///
/// The integrals over s are in closed form (no numeric integration):
/// integral_0^x P(N(s) = n) ds = P(Poisson(lambda x) > n) / lambda and
/// integral_0^x P(N(s) <= n) ds = x - E[(Poisson(lambda x) - n - 1)^+] / lambda.
/// So the figures are exact up to the truncated tail (< [`SLOTTED_TAIL`])
/// and rounding; the P90 is found by bisection on the CDF to 1e-12 relative.
///
/// None unless the inputs make sense (equal, non-empty lengths; gaps
/// finite and at least 0 with a positive week; some slot; lambda finite
/// and at least 0) and the load lambda W / C is below 1. Also None if
/// the chain is too large to solve (more than 1e7 matrix entries, or 1e9
/// operations to build it): a load above about 0.9997 with one slot a
/// weekday (0.9999 with one a day), or more than about 500 slots a week.
/// Up to load 0.999 with a few slots a day it takes well under a second.
pub fn slotted_wait(lambda_per_day: f64, gaps_days: &[f64], slots: &[u32]) -> Option<SlottedWait> {
    slotted_wait_with(lambda_per_day, gaps_days, slots, None)
}

/// [`slotted_wait`] with the number of states forced (tests: truncation).
fn slotted_wait_with(
    lambda: f64,
    gaps: &[f64],
    slots: &[u32],
    forced_states: Option<usize>,
) -> Option<SlottedWait> {
    let k_n = gaps.len();
    if k_n == 0 || slots.len() != k_n || !(lambda.is_finite() && lambda >= 0.0) {
        return None;
    }
    if gaps.iter().any(|g| !(g.is_finite() && *g >= 0.0)) {
        return None;
    }
    let week: f64 = gaps.iter().sum();
    let c_week: usize = slots.iter().map(|&c| c as usize).sum();
    if !(week > 0.0 && week.is_finite()) || c_week == 0 {
        return None;
    }
    // Every row of the banded matrix is at least C wide and there are more
    // than 2 C states.
    if c_week.checked_mul(c_week)?.checked_mul(2)? > SLOTTED_MAX_CELLS {
        return None;
    }
    let load = lambda * week / c_week as f64;
    if load.is_nan() || load >= 1.0 {
        return None;
    }
    let per_epoch_hi: usize = gaps.iter().map(|g| Poisson::new(lambda * g).hi()).sum();
    let weekly_hi = Poisson::new(lambda * week).hi();
    let u = tail_rate(lambda * week, c_week as f64);
    // e^-32 = 1.3e-14 at three quarters of the states.
    let by_tail = if u.is_finite() {
        (43.0 / u).ceil().min(1e9) as usize
    } else {
        0
    };
    let mut states = forced_states.unwrap_or(
        64usize
            .max(2 * (c_week + per_epoch_hi + weekly_hi))
            .max(by_tail),
    );
    let chain = loop {
        let chain = solve_chain(lambda, gaps, slots, states)?;
        let top: f64 = chain.before[0][states * 3 / 4..].iter().sum();
        if forced_states.is_some() || top < SLOTTED_TAIL / 10.0 {
            break chain;
        }
        states = states.checked_mul(2)?;
    };
    let after: Vec<Vec<f64>> = chain
        .before
        .iter()
        .zip(slots)
        .map(|(v, &c)| {
            let mut y = vec![0.0; states];
            for (x, &p) in v.iter().enumerate() {
                y[x.saturating_sub(c as usize)] += p;
            }
            y
        })
        .collect();
    // Mean wait and mean booked.
    let mut mean = 0.0;
    let mut booked = 0.0;
    for k in 0..k_n {
        let g = gaps[k];
        if g == 0.0 {
            continue;
        }
        let y = &after[k];
        let mean_y: f64 = y.iter().enumerate().map(|(i, p)| i as f64 * p).sum();
        booked += g * mean_y + lambda * g * g / 2.0;
        // q[n] = integral_0^g P(N(s) = n) ds.
        let q: Vec<f64> = if lambda > 0.0 {
            let pois = Poisson::new(lambda * g);
            let (surv, _) = pois.tails();
            surv.iter().map(|s| s / lambda).collect()
        } else {
            vec![g]
        };
        // u[b] = sum_y P(Y = y) q[b - y].
        let mut ub = vec![0.0; states + q.len()];
        for (yy, &py) in y.iter().enumerate() {
            if py != 0.0 {
                for (i, &qi) in q.iter().enumerate() {
                    ub[yy + i] += py * qi;
                }
            }
        }
        // D_k(b): walk the epochs after k, `cap` slots up to and including
        // epoch k + 1 + m, `d` days from epoch k + 1 to it.
        let (mut m, mut d) = (0usize, 0.0);
        let mut cap = slots[(k + 1) % k_n] as usize;
        let mut tail = 0.0;
        for (b, &w) in ub.iter().enumerate() {
            while cap <= b {
                m += 1;
                d += gaps[(k + m) % k_n];
                cap += slots[(k + 1 + m) % k_n] as usize;
            }
            tail += w * d;
        }
        mean += g * g / 2.0 + tail;
    }
    let support = states + Poisson::new(lambda * week).hi() + 1;
    let t_max = week * ((support / c_week) as f64 + 3.0);
    let mut out = SlottedWait {
        mean_days: mean / week,
        p90_days: f64::NAN,
        slot_utilization: load,
        mean_booked: booked / week,
        relaxation_days: if load > 0.0 {
            week / (c_week as f64 * (load - 1.0 - load.ln()))
        } else {
            0.0
        },
        states,
        lambda,
        gaps: gaps.to_vec(),
        slots: slots.to_vec(),
        after_cum: after
            .iter()
            .map(|v| {
                v.iter()
                    .scan(0.0, |acc, p| {
                        *acc += p;
                        Some(*acc)
                    })
                    .collect()
            })
            .collect(),
        after,
        t_max,
    };
    out.p90_days = out.quantile(0.9);
    Some(out)
}

impl SlottedWait {
    /// P(wait <= t) in steady state (t in days): exact up to the truncated
    /// tail and rounding (see [`slotted_wait`]).
    pub fn cdf(&self, t: f64) -> f64 {
        if t.is_nan() {
            return f64::NAN;
        }
        if t <= 0.0 {
            return 0.0;
        }
        if t >= self.t_max {
            return 1.0;
        }
        let k_n = self.gaps.len();
        let week: f64 = self.gaps.iter().sum();
        let lambda = self.lambda;
        // E[(Poisson(lambda x) - j)^+] for all j, at one x.
        let excess = |x: f64| -> Vec<f64> {
            if lambda > 0.0 {
                Poisson::new(lambda * x).tails().1
            } else {
                vec![0.0]
            }
        };
        let at = |e: &[f64], j: usize| e.get(j).copied().unwrap_or(0.0);
        let mut total = 0.0;
        for k in 0..k_n {
            let g = self.gaps[k];
            if g == 0.0 {
                continue;
            }
            let y = &self.after[k];
            let cum = &self.after_cum[k];
            // Epochs after k: the i-th (i >= 1) is `time` days after epoch k.
            // `cap`: slots at those no later than s + t.
            let mut i = 1;
            let mut time = g;
            let mut cap = 0usize;
            while time <= t {
                cap += self.slots[(k + i) % k_n] as usize;
                time += self.gaps[(k + i) % k_n];
                i += 1;
            }
            // Pieces [a, b) of s in [0, g) with a constant cap.
            let mut a = 0.0;
            let mut ex_a = excess(a);
            loop {
                let b = (time - t).min(g);
                let ex_b = excess(b);
                if cap > 0 && b > a {
                    // integral_a^b P(Y + N(s) <= cap - 1) ds
                    // = (b - a) P(Y <= cap - 1) - sum_{j >= 1} P(Y = cap - j)
                    //   (E_b(j) - E_a(j)) / lambda, E_x(j) = E[(N(x) - j)^+],
                    // which is 0 from the top of the Poisson table on.
                    let mut piece = (b - a) * cum[(cap - 1).min(cum.len() - 1)];
                    if lambda > 0.0 {
                        let top = ex_a.len().max(ex_b.len()).min(cap + 1);
                        let mut corr = 0.0;
                        for j in 1..top {
                            if let Some(&py) = y.get(cap - j) {
                                corr += py * (at(&ex_b, j) - at(&ex_a, j));
                            }
                        }
                        piece -= corr / lambda;
                    }
                    total += piece;
                }
                if time - t >= g {
                    break;
                }
                cap += self.slots[(k + i) % k_n] as usize;
                time += self.gaps[(k + i) % k_n];
                i += 1;
                a = b;
                ex_a = ex_b;
            }
        }
        (total / week).clamp(0.0, 1.0)
    }

    /// The `p`-quantile of the wait (days), 0 < p < 1: the least t with
    /// `cdf(t) >= p`, by bisection to 1e-12 relative. NaN for other p.
    pub fn quantile(&self, p: f64) -> f64 {
        if !(p > 0.0 && p < 1.0) {
            return f64::NAN;
        }
        let week: f64 = self.gaps.iter().sum();
        let mut hi = week.min(self.t_max);
        while hi < self.t_max && self.cdf(hi) < p {
            hi = (2.0 * hi).min(self.t_max);
        }
        let mut lo = 0.0;
        for _ in 0..200 {
            let mid = 0.5 * (lo + hi);
            if hi - lo <= 1e-12 * hi || mid <= lo || mid >= hi {
                break;
            }
            if self.cdf(mid) < p {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        hi
    }
}

/// The theory of the intake case of issue 18: one intake slot each weekday
/// at the same time of day (Monday to Friday, no holidays), a Poisson
/// stream of 4 referrals a week spread evenly over the 7 days (rate 4/7 a
/// day, load 0.8). The time of day does not matter: with a constant rate
/// only the gaps between slot instants do.
pub fn intake_case_theory() -> SlottedWait {
    slotted_wait(4.0 / 7.0, &[1.0, 1.0, 1.0, 1.0, 3.0], &[1; 5])
        .expect("one slot a weekday at 4 a week is a load of 0.8, below 1")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(x: f64, want: f64, tol: f64) {
        assert!(
            (x - want).abs() <= tol,
            "got {x}, want {want} +- {tol} (off by {:e})",
            x - want
        );
    }

    /// Published Erlang B values: B(10, 5) = 0.01838, the classic
    /// textbook example; the offered traffic that 5, 10 and 20 circuits carry
    /// at 1% blocking in the standard Erlang B tables (1.361, 4.461 and
    /// 12.031 erlangs); and the Westbay Engineers Erlang calculator manual
    /// (erlang.com, "How much traffic can a trunk group handle?"): 15 lines
    /// at 1% blocking carry 8.108 erlangs. All to the tables' 4 digits.
    #[test]
    fn erlang_b_matches_published_tables() {
        close(erlang_b(10, 5.0), 0.01838, 5e-6);
        close(erlang_b(5, 1.361), 0.0100, 5e-5);
        close(erlang_b(10, 4.461), 0.0100, 5e-5);
        close(erlang_b(20, 12.031), 0.0100, 5e-5);
        close(erlang_b(15, 8.108), 0.0100, 5e-5);
        // By hand: B(1, a) = a / (1 + a); B(2, 1) = (1/2) / (1 + 1 + 1/2).
        close(erlang_b(1, 0.5), 1.0 / 3.0, 1e-15);
        close(erlang_b(2, 1.0), 0.2, 1e-15);
        close(erlang_b(0, 3.0), 1.0, 0.0);
    }

    #[test]
    fn erlang_b_is_stable_for_large_systems() {
        // a^c / c! overflows a double long before c = 1000; the recursion does not.
        let b = erlang_b(1000, 950.0);
        assert!(b.is_finite() && b > 0.0 && b < 0.05, "{b}");
        assert!(erlang_b(5, -1.0).is_nan());
        assert!(erlang_b(5, f64::NAN).is_nan());
    }

    /// C(5, 4) = 0.5541, the Erlang C table value for 5 servers at 4
    /// erlangs; C(2, 1) = 1/3 and C(1, rho) = rho by hand.
    #[test]
    fn erlang_c_matches_published_values() {
        close(erlang_c(5, 4.0), 0.5541, 5e-5);
        close(erlang_c(2, 1.0), 1.0 / 3.0, 1e-15);
        // M/M/1: C = rho.
        close(erlang_c(1, 0.7), 0.7, 1e-15);
        assert_eq!(erlang_c(3, 3.0), 1.0);
        assert!(erlang_c(0, 1.0).is_nan());
    }

    #[test]
    fn mmc_wait_and_queue() {
        // M/M/1: Wq = rho / (mu - lambda), Lq = rho^2 / (1 - rho).
        let m = mmc(1, 0.9, 1.0);
        close(m.mean_wait, 9.0, 1e-12);
        close(m.mean_queue, 8.1, 1e-12);
        close(m.mean_busy, 0.9, 1e-15);
        // M/M/5, a = 4: Wq = C / (c mu - lambda) = 0.5541 / 1.
        let m = mmc(5, 4.0, 1.0);
        close(m.mean_wait, 0.5541, 5e-5);
        close(m.mean_queue, 4.0 * 0.5541, 2e-4);
        // Units: a day-based rate gives day-based waits.
        let m = mmc(5, 0.4, 0.1);
        close(m.mean_wait, 5.541, 5e-4);
        assert!(mmc(2, 2.0, 1.0).mean_wait.is_nan());
    }

    #[test]
    fn erlang_a_reduces_to_erlang_c_without_abandonment() {
        for &(c, a) in &[(1u32, 0.5), (5, 4.0), (20, 18.0)] {
            let e = erlang_a(c, a, 1.0, 0.0);
            let m = mmc(c, a, 1.0);
            close(e.p_wait, m.p_wait, 1e-12);
            close(e.p_abandon, 0.0, 0.0);
            close(e.mean_queue, m.mean_queue, 1e-9 * m.mean_queue);
            close(e.mean_wait_served, m.mean_wait, 1e-9 * m.mean_wait);
            // A tiny patience rate is continuous with no abandonment.
            let e = erlang_a(c, a, 1.0, 1e-9);
            close(e.mean_wait_served, m.mean_wait, 1e-5 * m.mean_wait);
        }
        assert!(erlang_a(2, 2.0, 1.0, 0.0).p_abandon.is_nan());
    }

    /// With theta = mu everyone in the system leaves at rate mu whether
    /// served or not, so the number in system is Poisson(a), as in M/M/inf,
    /// and P(abandon) = E[(N - c)^+] / a. For c = 1: (a - 1 + e^-a) / a.
    #[test]
    fn erlang_a_with_patience_equal_to_service_is_poisson() {
        for &a in &[0.5, 1.0, 3.0] {
            let e = erlang_a(1, a, 1.0, 1.0);
            close(e.p_abandon, (a - 1.0 + (-a).exp()) / a, 1e-13);
            close(e.p_wait, 1.0 - (-a).exp(), 1e-13);
        }
        // c = 3, a = 4: E[(N - 3)^+] = a - 3 + sum_{n<3} (3 - n) P(N = n).
        let a: f64 = 4.0;
        let p = |n: i32| (-a).exp() * a.powi(n) / (1..=n).map(f64::from).product::<f64>();
        let excess = a - 3.0 + 3.0 * p(0) + 2.0 * p(1) + p(2);
        close(erlang_a(3, a, 1.0, 1.0).p_abandon, excess / a, 1e-13);
    }

    #[test]
    fn erlang_a_is_self_consistent() {
        for &(c, lambda, theta) in &[
            (1u32, 0.9, 0.2),
            (5, 4.5, 0.5),
            (20, 22.0, 1.0),
            (50, 60.0, 0.1),
        ] {
            let e = erlang_a(c, lambda, 1.0, theta);
            // Abandonment rate theta E[Q] equals lambda P(abandon).
            close(theta * e.mean_queue, lambda * e.p_abandon, 1e-10 * lambda);
            // Little's law for the queue, abandoning customers included.
            close(
                lambda * e.mean_wait_all,
                e.mean_queue,
                1e-10 * e.mean_queue.max(1.0),
            );
            // Flow balance for the servers: busy = lambda (1 - P(abandon)) / mu.
            close(e.mean_busy, lambda * (1.0 - e.p_abandon), 1e-10 * lambda);
            assert!(e.mean_wait_served > 0.0 && e.p_abandon < e.p_wait);
        }
    }
}

#[cfg(test)]
mod slotted_tests {
    use std::collections::VecDeque;

    use rand::{Rng, SeedableRng};

    use super::*;

    const WEEKDAYS: [f64; 5] = [1.0, 1.0, 1.0, 1.0, 3.0];

    fn close(x: f64, want: f64, tol: f64) {
        assert!(
            (x - want).abs() <= tol,
            "got {x}, want {want} +- {tol} (off by {:e})",
            x - want
        );
    }

    /// The stationary backlog just before each epoch, as `slotted_wait` solves it.
    fn chain_of(lambda: f64, gaps: &[f64], slots: &[u32]) -> Chain {
        let s = slotted_wait(lambda, gaps, slots).unwrap();
        solve_chain(lambda, gaps, slots, s.states).unwrap()
    }

    /// The figures the case will be compared with (docs/validation.md,
    /// "A slotted intake server"), pinned.
    #[test]
    fn slotted_intake_case_figures() {
        let s = intake_case_theory();
        close(s.slot_utilization, 0.8, 1e-15);
        close(s.mean_days, 3.724_792_073_149, 1e-11);
        close(s.p90_days, 8.011_717_083_32, 1e-9);
        close(s.cdf(s.p90_days), 0.9, 1e-12);
        // Little's law: the booked-not-yet-seen, averaged over time from the
        // backlog's distribution, against arrivals per day x mean wait.
        close(s.mean_booked, 4.0 / 7.0 * s.mean_days, 1e-12);
        close(s.relaxation_days, 60.492_012_7, 1e-6);
    }

    /// One slot every day: the backlog just before a slot is the M/D/1
    /// queue's embedded chain X' = max(X - 1, 0) + Poisson(rho), whose mean
    /// is rho + rho^2 / (2 (1 - rho)) (Pollaczek-Khinchine for M/D/1), with
    /// P(X = 0) = 1 - rho and P(X = 1) = (1 - rho)(e^rho - 1) (balance at 0).
    /// Then the booked ahead of an arrival at offset s are
    /// Y + N(s), E[Y] = E[X] - rho, and the wait (1 - s) + Y + N(s) has mean
    /// 1/2 + rho^2 / (2 (1 - rho)) + rho / 2 = 1 / (2 (1 - rho)): the M/D/1
    /// wait in queue rho / (2 (1 - rho)) plus half a slot.
    #[test]
    fn slotted_daily_is_md1_plus_half_a_slot() {
        for rho in [0.05, 0.3, 0.5, 0.8, 0.9, 0.95] {
            let s = slotted_wait(rho, &[1.0], &[1]).unwrap();
            let want = 1.0 / (2.0 * (1.0 - rho));
            close(s.mean_days, want, 1e-12 * want);
            close(s.mean_booked, rho * want, 1e-12 * want);
            close(s.slot_utilization, rho, 1e-15);
            let x = &chain_of(rho, &[1.0], &[1]).before[0];
            let mean_x: f64 = x.iter().enumerate().map(|(i, p)| i as f64 * p).sum();
            let want_x = rho + rho * rho / (2.0 * (1.0 - rho));
            close(mean_x, want_x, 1e-12 * want_x);
            close(x[0], 1.0 - rho, 1e-14);
            close(x[1], (1.0 - rho) * rho.exp_m1(), 1e-14);
        }
    }

    /// Erlang's M/D/1 waiting-time distribution (Erlang 1909, Crommelin
    /// 1932), unit service, arrival rate rho:
    /// P(Wq <= x) = (1 - rho) sum_{k=0}^{floor x} (rho (k - x))^k / k! e^{-rho (k - x)}.
    /// Alternating terms: accurate to ~1e-13 for x <= 8 at these loads.
    fn md1_wait_cdf(rho: f64, x: f64) -> f64 {
        if x < 0.0 {
            return 0.0;
        }
        let mut sum = 0.0;
        let mut fact = 1.0;
        for k in 0..=(x.floor() as i32) {
            if k > 0 {
                fact *= f64::from(k);
            }
            let z = rho * (f64::from(k) - x);
            sum += z.powi(k) / fact * (-z).exp();
        }
        (1.0 - rho) * sum
    }

    /// One slot every day: the wait is distributed exactly as the M/D/1
    /// wait in queue plus an independent uniform time to the next slot,
    /// P(wait <= t) = integral_0^1 P(Wq <= t - u) du. Not an input to
    /// `slotted_wait` in any form: an independent check of the whole CDF.
    /// The integral is by Simpson's rule on the pieces between integers,
    /// where P(Wq <= x) is smooth (error < 1e-12).
    #[test]
    fn slotted_daily_wait_is_erlangs_md1_wait_plus_a_uniform() {
        for rho in [0.5, 0.8] {
            let s = slotted_wait(rho, &[1.0], &[1]).unwrap();
            for t in [0.1f64, 0.3, 0.7, 1.0, 1.5, 2.2, 3.0, 4.5, 6.0, 7.9] {
                let (a, b) = (t - 1.0, t);
                let mut cuts = vec![a];
                cuts.extend((a.ceil() as i32..=b.floor() as i32).map(f64::from));
                cuts.push(b);
                let mut want = 0.0;
                for w in cuts.windows(2) {
                    let (x0, x1) = (w[0], w[1]);
                    if x1 <= x0 {
                        continue;
                    }
                    let n = 256;
                    let h = (x1 - x0) / n as f64;
                    // Inside the piece: its left end's value is the limit from
                    // the right (F jumps only at 0, at the atom 1 - rho).
                    let f = |x: f64| md1_wait_cdf(rho, x.clamp(x0 + 1e-15, x1 - 1e-15));
                    let mut acc = f(x0) + f(x1);
                    for i in 1..n {
                        acc += f(x0 + i as f64 * h) * if i % 2 == 1 { 4.0 } else { 2.0 };
                    }
                    want += acc * h / 3.0;
                }
                close(s.cdf(t), want, 1e-11);
            }
        }
    }

    /// Nobody waits behind anyone: the wait is the time to the next slot,
    /// uniform over each gap, so the mean is sum g^2 / (2 W) (13/14 days for
    /// weekday slots: 4 gaps of 1 day at 1/2 and one of 3 at 3/2, weighted
    /// by length: (4 x 0.5 + 3 x 1.5) / 7), P(wait <= t) = sum min(t, g) / W,
    /// and the P90 solves (4 + t) / 7 = 0.9: 2.3 days.
    #[test]
    fn slotted_light_load_waits_for_the_next_slot() {
        let s = slotted_wait(0.0, &WEEKDAYS, &[1; 5]).unwrap();
        close(s.mean_days, 13.0 / 14.0, 1e-15);
        close(s.p90_days, 2.3, 1e-11);
        close(s.cdf(0.5), 2.5 / 7.0, 1e-15);
        close(s.cdf(2.0), 6.0 / 7.0, 1e-15);
        close(s.cdf(3.0), 1.0, 1e-15);
        assert_eq!((s.mean_booked, s.relaxation_days), (0.0, 0.0));
        // Continuous in lambda: to first order, an arrival finds someone
        // booked ahead with probability O(lambda), costing a day or more.
        for lambda in [1e-12, 1e-9, 1e-6] {
            let t = slotted_wait(lambda, &WEEKDAYS, &[1; 5]).unwrap();
            assert!(t.mean_days > 13.0 / 14.0, "{}", t.mean_days);
            close(t.mean_days, 13.0 / 14.0, 10.0 * lambda);
            close(t.p90_days, 2.3, 10.0 * lambda);
        }
    }

    /// Schedules that describe the same server give the same figures.
    #[test]
    fn slotted_equivalent_schedules_agree() {
        let same = |a: &SlottedWait, b: &SlottedWait| {
            close(a.mean_days, b.mean_days, 1e-11 * b.mean_days);
            close(a.p90_days, b.p90_days, 1e-10 * b.p90_days);
            close(a.mean_booked, b.mean_booked, 1e-11 * b.mean_booked);
            close(a.slot_utilization, b.slot_utilization, 1e-15);
            for t in [0.4, 1.0, 2.5, 7.0, 12.0] {
                close(a.cdf(t), b.cdf(t), 1e-12);
            }
        };
        // Two places at one instant, or two epochs 0 days apart.
        same(
            &slotted_wait(1.6, &[0.0, 1.0], &[1, 1]).unwrap(),
            &slotted_wait(1.6, &[1.0], &[2]).unwrap(),
        );
        // A week of daily slots is one day repeated.
        same(
            &slotted_wait(0.85, &[1.0; 7], &[1; 7]).unwrap(),
            &slotted_wait(0.85, &[1.0], &[1]).unwrap(),
        );
        // An epoch without places is no epoch.
        same(
            &slotted_wait(0.25, &[1.0, 2.0], &[1, 0]).unwrap(),
            &slotted_wait(0.25, &[3.0], &[1]).unwrap(),
        );
        // The cycle may start at any epoch.
        same(
            &slotted_wait(4.0 / 7.0, &[3.0, 1.0, 1.0, 1.0, 1.0], &[1; 5]).unwrap(),
            &intake_case_theory(),
        );
        // Time scale: gaps x 2 at half the rate doubles every wait.
        let a = slotted_wait(2.0 / 7.0, &WEEKDAYS.map(|g| 2.0 * g), &[1; 5]).unwrap();
        let b = intake_case_theory();
        close(a.mean_days, 2.0 * b.mean_days, 1e-11);
        close(a.p90_days, 2.0 * b.p90_days, 1e-9);
        close(a.cdf(5.0), b.cdf(2.5), 1e-12);
    }

    /// The truncation: the computed backlog is stationary (stepping it
    /// through the week's epochs returns it), the top quarter of the states
    /// holds less than 1e-13, and twice the states change no figure.
    #[test]
    fn slotted_truncation_and_stationarity() {
        for (lambda, gaps, slots) in [
            (4.0 / 7.0, WEEKDAYS.to_vec(), vec![1u32; 5]),
            (8.0 / 7.0 * 1.1, WEEKDAYS.to_vec(), vec![2u32; 5]),
            (0.95, vec![1.0], vec![1u32]),
            // So many arrivals over a weekend that the lowest backlogs
            // before Monday's slots are beyond the Poisson tables' cut:
            // states that the chain leaves and never reaches again.
            (0.9 * 250.0 / 7.0, WEEKDAYS.to_vec(), vec![50u32; 5]),
        ] {
            let s = slotted_wait(lambda, &gaps, &slots).unwrap();
            let chain = solve_chain(lambda, &gaps, &slots, s.states).unwrap();
            close(s.mean_booked, lambda * s.mean_days, 1e-12 * s.mean_booked);
            let top: f64 = chain.before[0][s.states * 3 / 4..].iter().sum();
            assert!(top < 1e-13, "top quarter {top:e}");
            let last = chain.before.len() - 1;
            let back = epoch_step(
                &chain.before[last],
                slots[last] as usize,
                &Poisson::new(lambda * gaps[last]),
            );
            let l1: f64 = back
                .iter()
                .zip(&chain.before[0])
                .map(|(a, b)| (a - b).abs())
                .sum();
            assert!(l1 < 1e-13, "a week moves the stationary backlog by {l1:e}");
            let d = slotted_wait_with(lambda, &gaps, &slots, Some(2 * s.states)).unwrap();
            close(d.mean_days, s.mean_days, 1e-12 * s.mean_days);
            close(d.p90_days, s.p90_days, 1e-11 * s.p90_days);
            for t in [0.5, 3.0, 10.0] {
                close(d.cdf(t), s.cdf(t), 1e-13);
            }
        }
    }

    /// The CDF is a distribution whose mean is `mean_days`: integral of
    /// P(wait > t) dt by Simpson's rule between whole days (the CDF is
    /// smooth between the differences of slot instants, whole days here),
    /// and `quantile` inverts it.
    #[test]
    fn slotted_cdf_is_the_distribution_of_the_mean() {
        for (lambda, gaps, slots) in [
            (4.0 / 7.0, WEEKDAYS.to_vec(), vec![1u32; 5]),
            (0.7, vec![1.0], vec![1u32]),
            (0.8, vec![1.0, 1.0, 5.0], vec![3u32, 0, 4]),
        ] {
            let s = slotted_wait(lambda, &gaps, &slots).unwrap();
            assert_eq!(s.cdf(0.0), 0.0);
            let mut integral = 0.0;
            let mut prev = 0.0;
            let mut day = 0.0;
            while 1.0 - s.cdf(day) > 1e-14 {
                let n = 64;
                let h = 1.0 / n as f64;
                let f = |t: f64| 1.0 - s.cdf(t);
                let mut acc = f(day) + f(day + 1.0);
                for i in 1..n {
                    let t = day + i as f64 * h;
                    let c = s.cdf(t);
                    assert!(c >= prev - 1e-15, "CDF decreases at {t}");
                    prev = c;
                    acc += (1.0 - c) * if i % 2 == 1 { 4.0 } else { 2.0 };
                }
                integral += acc * h / 3.0;
                day += 1.0;
            }
            close(integral, s.mean_days, 1e-9 * s.mean_days);
            for p in [0.1, 0.5, 0.9, 0.99] {
                close(s.cdf(s.quantile(p)), p, 1e-12);
            }
            assert!(s.quantile(1.0).is_nan() && s.quantile(0.0).is_nan());
        }
    }

    /// The distance to steady state of a backlog started empty, week by
    /// week, decays like w^-3/2 gamma^w with the documented gamma: the
    /// ratio of successive distances, corrected for the power, tends to it
    /// (slowly: the next term of the expansion is of order 1/w). The
    /// relaxation time it gives is within 2% of `relaxation_days` by the
    /// last weeks where the distance is still far above rounding (1e-8),
    /// and closer there than half as many weeks in.
    #[test]
    fn slotted_relaxation_rate() {
        for (lambda, gaps, slots, weeks) in [
            (4.0 / 7.0, WEEKDAYS.to_vec(), vec![1u32; 5], 100),
            (0.8, vec![1.0], vec![1u32], 450),
        ] {
            let s = slotted_wait(lambda, &gaps, &slots).unwrap();
            let chain = solve_chain(lambda, &gaps, &slots, s.states).unwrap();
            let arrivals: Vec<Poisson> = gaps.iter().map(|g| Poisson::new(lambda * g)).collect();
            let mut v = vec![0.0; s.states];
            v[0] = 1.0;
            let mut d = Vec::new();
            for _ in 0..=weeks + 1 {
                d.push(
                    v.iter()
                        .zip(&chain.before[0])
                        .map(|(a, b)| (a - b).abs())
                        .sum::<f64>(),
                );
                for (k, arr) in arrivals.iter().enumerate() {
                    v = epoch_step(&v, slots[k] as usize, arr);
                }
            }
            assert!(d[weeks + 1] > 1e-8, "{:e}", d[weeks + 1]);
            let week: f64 = gaps.iter().sum();
            let tau = |w: usize| {
                let ratio = d[w + 1] / d[w] * ((w as f64 + 1.0) / w as f64).powf(1.5);
                -week / ratio.ln()
            };
            let want = s.relaxation_days;
            close(tau(weeks), want, 0.02 * want);
            assert!((tau(weeks / 2) - want).abs() > (tau(weeks) - want).abs());
            // Far from a plain exponential early on: the power matters.
            assert!(d[10] / d[9] < 0.99 * (-week / want).exp());
            if gaps.len() == 5 {
                // The intake case's figures in docs/validation.md.
                for (w, want) in [(10, 2.3e-2), (20, 3.4e-3), (50, 3.5e-5)] {
                    close(d[w], want, 0.02 * want);
                }
            }
        }
    }

    #[test]
    fn slotted_rejects_overload_and_bad_input() {
        // Load 1 and above: no steady state.
        assert!(slotted_wait(5.0 / 7.0, &WEEKDAYS, &[1; 5]).is_none());
        assert!(slotted_wait(0.8, &WEEKDAYS, &[1; 5]).is_none());
        assert!(slotted_wait(1.0, &[1.0], &[1]).is_none());
        assert!(slotted_wait(f64::INFINITY, &[1.0], &[1]).is_none());
        assert!(slotted_wait(f64::NAN, &[1.0], &[1]).is_none());
        assert!(slotted_wait(-0.1, &[1.0], &[1]).is_none());
        // Just below 1 is fine.
        assert!(slotted_wait(0.99, &[1.0], &[1]).is_some());
        // Schedules that are not one.
        assert!(slotted_wait(0.5, &[], &[]).is_none());
        assert!(slotted_wait(0.5, &[1.0, 1.0], &[1]).is_none());
        assert!(slotted_wait(0.5, &[1.0, -1.0], &[1, 1]).is_none());
        assert!(slotted_wait(0.5, &[1.0, f64::NAN], &[1, 1]).is_none());
        assert!(slotted_wait(0.5, &[0.0, 0.0], &[1, 1]).is_none());
        assert!(slotted_wait(0.5, &[1.0], &[0]).is_none());
        assert!(slotted_wait(0.0, &[f64::INFINITY], &[1]).is_none());
        // Too many slots a week for the chain (checked before any work).
        assert!(slotted_wait(1.0, &[1.0], &[100_000]).is_none());
    }

    /// The booking rule itself, arrival by arrival: Poisson arrivals, each
    /// books the earliest slot with a free place strictly after its arrival
    /// time. No chain, no backlog recursion: a calendar of slots. Starts
    /// empty; the first `warm` arrivals are dropped.
    fn simulate(lambda: f64, gaps: &[f64], slots: &[u32], n: usize, seed: u64) -> Vec<f64> {
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(seed);
        let warm = 50_000;
        // Open epochs: (instant, free places), in time order.
        let mut calendar: VecDeque<(f64, u32)> = VecDeque::new();
        let (mut next_at, mut next_k) = (0.0, 0);
        let mut now = 0.0;
        let mut waits = Vec::with_capacity(n);
        for i in 0..warm + n {
            now += -(1.0 - rng.random::<f64>()).ln() / lambda;
            while calendar.front().is_some_and(|&(at, _)| at <= now) {
                calendar.pop_front();
            }
            let pos = loop {
                if let Some(p) = calendar.iter().position(|&(at, f)| at > now && f > 0) {
                    break p;
                }
                calendar.push_back((next_at, slots[next_k]));
                next_at += gaps[next_k];
                next_k = (next_k + 1) % gaps.len();
            };
            calendar[pos].1 -= 1;
            if i >= warm {
                waits.push(calendar[pos].0 - now);
            }
        }
        waits
    }

    /// Mean and standard error of the means of `batches` consecutive
    /// batches (the waits of nearby arrivals are correlated; batches of
    /// tens of thousands are not, at these loads).
    fn batch_mean(x: &[f64], batches: usize) -> (f64, f64) {
        let size = x.len() / batches;
        let means: Vec<f64> = x
            .chunks_exact(size)
            .map(|c| c.iter().sum::<f64>() / size as f64)
            .collect();
        let m = means.iter().sum::<f64>() / batches as f64;
        let var = means.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (batches - 1) as f64;
        (m, (var / batches as f64).sqrt())
    }

    /// A Monte Carlo of the booking rule against the theory: 2 million
    /// arrivals after 50,000 of warm-up (over 800 relaxation times), 100
    /// batches. The mean wait, P(wait <= t) at several t, and the share of
    /// waits up to the theory's P90 must each lie within 4 batch standard
    /// errors; the simulated P90, coarsely, within 2% of the theory's
    /// (about 5 standard errors in the intake case, where the density at
    /// the P90 is 0.031 a day).
    #[test]
    #[cfg_attr(
        debug_assertions,
        ignore = "slow without optimizations: cargo test --release"
    )]
    fn slotted_matches_a_monte_carlo_of_the_booking_rule() {
        for (name, lambda, gaps, slots, seed) in [
            (
                "intake case",
                4.0 / 7.0,
                WEEKDAYS.to_vec(),
                vec![1u32; 5],
                1,
            ),
            (
                "2 a weekday, 0.8",
                8.0 / 7.0,
                WEEKDAYS.to_vec(),
                vec![2u32; 5],
                2,
            ),
            (
                "Mon 9:00 x2 + 15:00, Wed none, Fri x3; 0.85",
                0.85 * 6.0 / 7.0,
                vec![0.25, 1.75, 2.0, 3.0],
                vec![2u32, 1, 0, 3],
                3,
            ),
            ("daily, 0.9", 0.9, vec![1.0], vec![1u32], 4),
            (
                "50 a weekday, 0.9",
                0.9 * 250.0 / 7.0,
                WEEKDAYS.to_vec(),
                vec![50u32; 5],
                5,
            ),
        ] {
            let s = slotted_wait(lambda, &gaps, &slots).unwrap();
            let mut waits = simulate(lambda, &gaps, &slots, 2_000_000, seed);
            let (mean, se) = batch_mean(&waits, 100);
            eprintln!(
                "{name}: mean {mean:.5} +- {se:.5} (theory {:.5}, {:+.2} se)",
                s.mean_days,
                (mean - s.mean_days) / se
            );
            assert!((mean - s.mean_days).abs() < 4.0 * se, "{name}: mean");
            let share = |t: f64| {
                let ind: Vec<f64> = waits.iter().map(|&w| f64::from(u8::from(w <= t))).collect();
                batch_mean(&ind, 100)
            };
            for t in [0.5, 1.0, 2.0, 3.5, 5.0, 8.0, 13.0] {
                let (p, se) = share(t);
                assert!(
                    (p - s.cdf(t)).abs() < 4.0 * se.max(1e-6),
                    "{name}: P(wait <= {t}) {p} +- {se} against {}",
                    s.cdf(t)
                );
            }
            let (p, se) = share(s.p90_days);
            assert!(
                (p - 0.9).abs() < 4.0 * se,
                "{name}: share to P90 {p} +- {se}"
            );
            let k = (0.9 * (waits.len() - 1) as f64).round() as usize;
            let p90 = *waits.select_nth_unstable_by(k, f64::total_cmp).1;
            eprintln!(
                "{name}: P90 {p90:.4} (theory {:.4}); share up to the theory's P90 {p:.5} +- {se:.5}",
                s.p90_days
            );
            close(p90, s.p90_days, 0.02 * s.p90_days);
        }
    }
}
