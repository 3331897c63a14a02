//! What a test can count in its own process: open descriptors, threads, zombie children, the
//! processes below it, and `/proc/self/status` figures.

/// The open descriptors and what each refers to, sorted, without the handle used to list them.
pub fn fds() -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .flatten()
        .map(|e| {
            let target = std::fs::read_link(e.path())
                .map(|t| t.display().to_string())
                .unwrap_or_default();
            (e.file_name().to_string_lossy().into_owned(), target)
        })
        .collect();
    // The directory handle used for the listing itself.
    v.retain(|(_, t)| !t.ends_with("/fd"));
    v.sort();
    v
}

/// How many threads this process runs.
pub fn threads() -> usize {
    std::fs::read_dir("/proc/self/task").unwrap().count()
}

/// How many children of this process are zombies.
pub fn zombies() -> usize {
    let me = std::process::id().to_string();
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| std::fs::read_to_string(e.path().join("stat")).ok())
        .filter(|stat| {
            let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
            let mut f = rest.split_whitespace();
            f.next() == Some("Z") && f.next() == Some(me.as_str())
        })
        .count()
}

/// Every live or zombie process below this one: (pid, state, command name).
pub fn descendants() -> Vec<(i32, String, String)> {
    let me = std::process::id() as i32;
    let mut procs: Vec<(i32, i32, String, String)> = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(e.path().join("stat")) else {
            continue;
        };
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
            continue;
        };
        let comm = stat[open + 1..close].to_string();
        let mut rest = stat[close + 1..].split_whitespace();
        let state = rest.next().unwrap_or("").to_string();
        let ppid = rest.next().and_then(|s| s.parse().ok()).unwrap_or(0);
        procs.push((pid, ppid, state, comm));
    }
    let mut found = vec![me];
    let mut out = Vec::new();
    loop {
        let before = found.len();
        for (pid, ppid, state, comm) in &procs {
            if found.contains(ppid) && !found.contains(pid) {
                found.push(*pid);
                out.push((*pid, state.clone(), comm.clone()));
            }
        }
        if found.len() == before {
            return out;
        }
    }
}

/// A figure in KiB from `/proc/self/status`, by its field name with the colon (`"VmRSS:"`).
pub fn status_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}
