//! Killing the helper's whole tree (D1): frozen first, so that none can fork away, then killed.
//! The descendants are found by the system's part ([`super::os::children_of`]: `/proc` on Linux,
//! libproc on macOS). [`freeze_descendants`] also serves the `processcreds` command's worker,
//! which kills what it started when the command is killed.

use super::os::children_of;

/// Freezes the helper and its descendants (so none can fork away), then kills them all.
/// `signal` signals the helper itself (through its pidfd where one is open). Whether the
/// helper could be signalled (false when it runs as another user, e.g. a setuid program).
pub(super) fn kill_tree(
    pid: libc::pid_t,
    own_group: bool,
    signal: impl Fn(i32) -> Result<(), i32>,
) -> bool {
    let _ = signal(libc::SIGSTOP);
    let descendants = freeze_descendants(pid);
    // SAFETY: a negative pid names the helper's own process group; the others are descendants
    // found by `children_of`.
    unsafe {
        if own_group {
            libc::kill(-pid, libc::SIGKILL);
        }
        for &p in &descendants {
            libc::kill(p, libc::SIGKILL);
        }
    }
    !matches!(signal(libc::SIGKILL), Err(libc::EPERM))
}

/// Stops (`SIGSTOP`) every descendant of `root` as it is found, round after round (64 at most)
/// until a round finds no new one, so that none can fork away; `root` itself is not signalled.
/// The descendants, in the order found.
pub fn freeze_descendants(root: libc::pid_t) -> Vec<libc::pid_t> {
    let mut tree: Vec<libc::pid_t> = vec![root];
    for _ in 0..64 {
        let found: Vec<libc::pid_t> = children_of(&tree)
            .into_iter()
            .filter(|p| !tree.contains(p))
            .collect();
        if found.is_empty() {
            break;
        }
        for &p in &found {
            // SAFETY: signalling a descendant just found.
            unsafe { libc::kill(p, libc::SIGSTOP) };
        }
        tree.extend(found);
    }
    tree.split_off(1)
}

#[cfg(test)]
mod tests {
    use super::children_of;

    #[test]
    fn children_of_finds_our_children() {
        let mut kids: Vec<std::process::Child> = (0..3)
            .map(|_| {
                std::process::Command::new("sleep")
                    .arg("30")
                    .spawn()
                    .unwrap()
            })
            .collect();
        let mut want: Vec<libc::pid_t> = kids.iter().map(|k| k.id() as libc::pid_t).collect();
        want.sort();
        let mut found = children_of(&[std::process::id() as libc::pid_t]);
        // Other tests of this binary may have children of their own meanwhile.
        found.retain(|p| want.contains(p));
        found.sort();
        for k in &mut kids {
            let _ = k.kill();
            let _ = k.wait();
        }
        assert_eq!(found, want);
        // A process that does not exist has no children.
        assert!(children_of(&[i32::MAX]).is_empty());
    }
}
