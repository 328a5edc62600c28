//! Limits that cap socket counts: the open-file limit, raised to its hard maximum at start in every
//! process that opens sockets, and the words for a connect or accept that ran into one of them.

use std::io;

pub const RLIMIT_NOFILE: &str = "ulimit -n (RLIMIT_NOFILE)";
pub const FILE_MAX: &str = "fs.file-max";
pub const LOCAL_PORTS: &str = "net.ipv4.ip_local_port_range";
pub const MEMORY: &str = "memory";

/// errno values a socket call reports when a limit is reached, with their names.
const LIMIT_ERRNOS: &[(i32, &str, &str)] = &[
    (libc::EMFILE, "EMFILE", RLIMIT_NOFILE),
    (libc::ENFILE, "ENFILE", FILE_MAX),
    (libc::EADDRNOTAVAIL, "EADDRNOTAVAIL", LOCAL_PORTS),
    (libc::ENOBUFS, "ENOBUFS", MEMORY),
    (libc::ENOMEM, "ENOMEM", MEMORY),
];

/// Other errno names worth showing in an error line.
const OTHER_ERRNOS: &[(i32, &str)] = &[
    (libc::ECONNREFUSED, "ECONNREFUSED"),
    (libc::ECONNRESET, "ECONNRESET"),
    (libc::EPIPE, "EPIPE"),
    (libc::ETIMEDOUT, "ETIMEDOUT"),
];

/// (soft, hard) RLIMIT_NOFILE; u64::MAX stands for unlimited.
pub fn nofile() -> (u64, u64) {
    // SAFETY: getrlimit only writes into the struct we pass.
    let mut rl: libc::rlimit = unsafe { std::mem::zeroed() };
    // SAFETY: a valid resource and pointer.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut rl) } != 0 {
        return (0, 0);
    }
    (rl.rlim_cur, rl.rlim_max)
}

/// Raises the soft RLIMIT_NOFILE to the hard one, so connections stop at the real limit rather than at
/// the customary 1,024. Returns the soft limit in force afterwards.
pub fn raise_nofile() -> u64 {
    let (soft, hard) = nofile();
    if soft < hard {
        let rl = libc::rlimit {
            rlim_cur: hard,
            rlim_max: hard,
        };
        // SAFETY: a valid resource and pointer; raising soft up to hard needs no privilege.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &rl) } == 0 {
            return hard;
        }
    }
    soft
}

/// "EMFILE: Too many open files (os error 24)", or the error as it is without a known errno.
pub fn describe(e: &io::Error) -> String {
    let code = e.raw_os_error();
    let name = LIMIT_ERRNOS
        .iter()
        .map(|&(n, name, _)| (n, name))
        .chain(OTHER_ERRNOS.iter().copied())
        .find(|&(n, _)| Some(n) == code)
        .map(|(_, name)| name);
    match name {
        Some(name) => format!("{name}: {e}"),
        None => e.to_string(),
    }
}

/// The limit a failed socket call ran into, when it is one: (limit name, its value in words).
pub fn limit_of(e: &io::Error) -> Option<(&'static str, String)> {
    let code = e.raw_os_error()?;
    let &(_, _, limit) = LIMIT_ERRNOS.iter().find(|&&(n, _, _)| n == code)?;
    let detail = match limit {
        RLIMIT_NOFILE => {
            let (soft, hard) = nofile();
            format!("{RLIMIT_NOFILE}: soft {soft}, hard {hard}")
        }
        FILE_MAX => format!("{FILE_MAX}={}", read_sysctl("fs/file-max")),
        LOCAL_PORTS => format!(
            "{LOCAL_PORTS}={} (local ports for one server address)",
            read_sysctl("net/ipv4/ip_local_port_range").replace('\t', "-")
        ),
        _ => "the kernel could not allocate socket memory".to_string(),
    };
    Some((limit, detail))
}

fn read_sysctl(name: &str) -> String {
    std::fs::read_to_string(format!("/proc/sys/{name}"))
        .map_or_else(|_| "?".into(), |t| t.trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_are_named_and_other_errors_are_not_limits() {
        let emfile = io::Error::from_raw_os_error(libc::EMFILE);
        assert!(
            describe(&emfile).starts_with("EMFILE: "),
            "{}",
            describe(&emfile)
        );
        let (name, detail) = limit_of(&emfile).expect("EMFILE is a limit");
        assert_eq!(name, RLIMIT_NOFILE);
        assert!(detail.contains("soft "), "{detail}");
        let ports = limit_of(&io::Error::from_raw_os_error(libc::EADDRNOTAVAIL));
        assert_eq!(ports.map(|p| p.0), Some(LOCAL_PORTS));
        let refused = io::Error::from_raw_os_error(libc::ECONNREFUSED);
        assert!(limit_of(&refused).is_none());
        assert!(describe(&refused).starts_with("ECONNREFUSED"));
        // Raised to the hard limit, as the kernel now says.
        let (_, hard) = nofile();
        assert_eq!(raise_nofile(), hard);
        assert_eq!(nofile(), (hard, hard));
    }
}
