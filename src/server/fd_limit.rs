//! The process's open-file limit, and `max_connections` fitted under it.

/// File descriptors kept free of client connections: the upstream HTTP pool, the sandbox's
/// sockets, files read at run time.
const FD_RESERVE: u64 = 256;

/// `max_connections`, lowered if needed so that the connections and [`FD_RESERVE`] fit in
/// `fd_limit` (the process's soft `RLIMIT_NOFILE`): past it every `accept` fails with
/// `EMFILE` and nobody is served. Returns the value to use.
pub(crate) fn fit_to_fd_limit(max_connections: usize, fd_limit: Option<u64>) -> usize {
    match fd_limit {
        Some(limit) => {
            let room = limit.saturating_sub(FD_RESERVE).max(1);
            max_connections.min(usize::try_from(room).unwrap_or(usize::MAX))
        }
        None => max_connections,
    }
}

/// The soft limit on open files of this process, from `/proc/self/limits` (Linux); `None`
/// where that cannot be read or the limit is unlimited.
pub(crate) fn fd_soft_limit() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    parse_fd_soft_limit(&limits)
}

fn parse_fd_soft_limit(limits: &str) -> Option<u64> {
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line["Max open files".len()..]
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_connection_cap_fits_the_open_file_limit() {
        let limits = "Limit                     Soft Limit           Hard Limit           Units     \n\
                      Max processes             63704                63704                processes \n\
                      Max open files            1024                 524288               files     \n";
        assert_eq!(parse_fd_soft_limit(limits), Some(1024));
        let unlimited =
            "Max open files            unlimited            unlimited            files\n";
        assert_eq!(parse_fd_soft_limit(unlimited), None);
        assert_eq!(fit_to_fd_limit(10_000, Some(1024)), 768);
        assert_eq!(fit_to_fd_limit(500, Some(1024)), 500);
        assert_eq!(fit_to_fd_limit(10_000, None), 10_000);
        assert_eq!(fit_to_fd_limit(10_000, Some(100)), 1);
    }
}
