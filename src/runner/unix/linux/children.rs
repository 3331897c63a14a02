//! The helper's descendants on Linux: the children of a process, from `/proc`.

use std::os::unix::ffi::OsStrExt;
use std::sync::OnceLock;

/// The processes whose parent is one of `parents`: from `/proc/<pid>/task/<tid>/children` where
/// the kernel has those files (`CONFIG_PROC_CHILDREN`), else from every `/proc/<pid>/stat`.
pub fn children_of(parents: &[libc::pid_t]) -> Vec<libc::pid_t> {
    static HAS_CHILDREN_FILES: OnceLock<bool> = OnceLock::new();
    let has = *HAS_CHILDREN_FILES.get_or_init(|| {
        let me = std::process::id();
        std::fs::metadata(format!("/proc/{me}/task/{me}/children")).is_ok()
    });
    if has {
        children_from_task_files(parents)
    } else {
        children_from_stat(parents)
    }
}

fn children_from_task_files(parents: &[libc::pid_t]) -> Vec<libc::pid_t> {
    let mut out = Vec::new();
    for &parent in parents {
        // A process that has exited has no task directory: it has no children left either.
        let Ok(tasks) = std::fs::read_dir(format!("/proc/{parent}/task")) else {
            continue;
        };
        for task in tasks.flatten() {
            if let Ok(list) = std::fs::read_to_string(task.path().join("children")) {
                out.extend(
                    list.split_ascii_whitespace()
                        .filter_map(|p| p.parse::<libc::pid_t>().ok()),
                );
            }
        }
    }
    out
}

fn children_from_stat(parents: &[libc::pid_t]) -> Vec<libc::pid_t> {
    let mut out = Vec::new();
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return out;
    };
    for entry in dir.flatten() {
        let name = entry.file_name();
        let Some(pid) = std::str::from_utf8(name.as_bytes())
            .ok()
            .and_then(|s| s.parse::<libc::pid_t>().ok())
        else {
            continue;
        };
        let Ok(stat) = std::fs::read(entry.path().join("stat")) else {
            continue;
        };
        // "pid (comm) state ppid ...": comm may hold anything, so split after the last ')'.
        let Some(close) = stat.iter().rposition(|&b| b == b')') else {
            continue;
        };
        let ppid = std::str::from_utf8(&stat[close + 1..])
            .ok()
            .and_then(|rest| rest.split_whitespace().nth(1))
            .and_then(|s| s.parse::<libc::pid_t>().ok());
        if ppid.is_some_and(|pp| parents.contains(&pp)) {
            out.push(pid);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{children_from_stat, children_from_task_files};

    #[test]
    fn both_ways_find_the_same_children() {
        let mut kids: Vec<std::process::Child> = (0..3)
            .map(|_| {
                std::process::Command::new("sleep")
                    .arg("30")
                    .spawn()
                    .unwrap()
            })
            .collect();
        let me = [std::process::id() as libc::pid_t];
        let mut want: Vec<libc::pid_t> = kids.iter().map(|k| k.id() as libc::pid_t).collect();
        want.sort();
        let mut by_stat = children_from_stat(&me);
        by_stat.retain(|p| want.contains(p));
        by_stat.sort();
        assert_eq!(by_stat, want);
        let me_path = format!("/proc/{}/task/{}/children", me[0], me[0]);
        if std::path::Path::new(&me_path).exists() {
            let mut by_files = children_from_task_files(&me);
            by_files.retain(|p| want.contains(p));
            by_files.sort();
            assert_eq!(by_files, want);
        }
        for k in &mut kids {
            let _ = k.kill();
            let _ = k.wait();
        }
    }
}
