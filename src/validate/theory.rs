//! Exact steady-state results of the queues the validation cases simulate:
//! Erlang B (M/M/c/c, and M/G/c/c by insensitivity), Erlang C (M/M/c with an
//! unlimited queue), Erlang A (M/M/c+M: exponential patience) and M/M/inf.
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
