//! OS figures of a worker PID from /proc/<pid>/stat: one read, O(1) for the thread count.

use crate::model::OsStat;

/// RSS, virtual size and thread count of `pid`; None once the process is gone.
pub fn read(pid: u32) -> Option<OsStat> {
    let stat = procfs::process::Process::new(pid as i32)
        .ok()?
        .stat()
        .ok()?;
    Some(OsStat {
        rss_bytes: stat.rss * procfs::page_size(),
        virtual_bytes: stat.vsize,
        os_threads: stat.num_threads.max(0) as u64,
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
