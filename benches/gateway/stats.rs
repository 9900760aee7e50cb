//! Percentiles from sorted samples, and what `/proc` says about a process: CPU time and RSS.

use std::time::Duration;

/// Latency percentiles of one measured series.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Summary {
    pub n: usize,
    pub p50: Duration,
    pub p99: Duration,
    pub p999: Duration,
    /// Calls per second over the series' wall time (0 when not measured).
    pub rate: f64,
}

impl Summary {
    /// Summarises `samples` (sorted here); `wall` is the time the series took.
    pub(crate) fn of(mut samples: Vec<Duration>, wall: Duration) -> Summary {
        samples.sort_unstable();
        let n = samples.len();
        if n == 0 {
            return Summary::default();
        }
        // Nearest rank: the smallest sample with at least q of the series at or below it.
        let at = |q: f64| samples[((q * n as f64).ceil() as usize).clamp(1, n) - 1];
        Summary {
            n,
            p50: at(0.50),
            p99: at(0.99),
            p999: at(0.999),
            rate: n as f64 / wall.as_secs_f64().max(1e-9),
        }
    }
}

/// Milliseconds with two decimals, as every table prints them.
pub(crate) fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1e3)
}

/// `b − a` in milliseconds (signed) and `b / a`, for "added latency".
pub(crate) fn added(a: Duration, b: Duration) -> String {
    let diff = (b.as_secs_f64() - a.as_secs_f64()) * 1e3;
    let ratio = b.as_secs_f64() / a.as_secs_f64().max(1e-9);
    format!("{diff:+.2} ms (×{ratio:.2})")
}

/// User + system CPU time of process `pid` (`self` for this one), from `/proc/<pid>/stat`.
/// Linux reports it in clock ticks of 10 ms (`getconf CLK_TCK` = 100).
pub(crate) fn cpu_time(pid: &str) -> Option<Duration> {
    stat_ticks(pid, 11)
}

/// The same for the children this process has waited for (h2load).
pub(crate) fn children_cpu_time() -> Option<Duration> {
    stat_ticks("self", 13)
}

/// Fields `at` and `at + 1` of `/proc/<pid>/stat` after the command name, summed, as time.
fn stat_ticks(pid: &str, at: usize) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which may hold spaces) start at field 3.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = fields.get(at)?.parse::<u64>().ok()? + fields.get(at + 1)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 10))
}

/// Resident set size of process `pid` in KiB (`VmRSS` of `/proc/<pid>/status`).
pub(crate) fn rss_kib(pid: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// The 1-minute load average: how busy the shared machine was.
pub(crate) fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "?".into())
}

/// `nproc`, the CPU model and the memory, for the report's header.
pub(crate) fn machine() -> String {
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|m| m.trim_start_matches([' ', '\t', ':']).to_owned())
        .unwrap_or_else(|| "?".into());
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let mem_gib = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(0.0, |kib| kib / 1024.0 / 1024.0);
    format!("{cpus} CPUs ({model}), {mem_gib:.1} GiB RAM")
}
