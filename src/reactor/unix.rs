//! The reactor's wait on POSIX systems: one `poll` over the waker and every descriptor of every
//! job, until the earliest of their time limits.

use std::os::fd::AsRawFd;
use std::time::Instant;

use super::Entry;
use crate::runner::{Ready, Source, Waker};

/// The buffers of the wait, kept between waits.
#[derive(Default)]
pub(super) struct Waits {
    fds: Vec<libc::pollfd>,
    /// For each entry of `fds` after the waker's: the job's index and the source.
    owners: Vec<(usize, Source)>,
    untils: Vec<Option<Instant>>,
}

impl Waits {
    /// Waits for any job's descriptor, the waker, or the earliest time limit; then says, per
    /// job, with what it is to be advanced (`None`: not now).
    pub(super) fn wait(&mut self, jobs: &[Entry], waker: &Waker) -> Vec<Option<Ready>> {
        self.fds.clear();
        self.owners.clear();
        self.untils.clear();
        self.fds.push(pollin(waker.fd().as_raw_fd()));
        let mut until: Option<Instant> = None;
        for (i, e) in jobs.iter().enumerate() {
            let interest = e.job.interest();
            for (source, fd) in Source::ALL.into_iter().zip(&interest.waits) {
                if let Some(fd) = fd {
                    self.fds.push(pollin(fd.as_raw_fd()));
                    self.owners.push((i, source));
                }
            }
            until = match (until, interest.until) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            self.untils.push(interest.until);
        }
        let timeout = until.map_or(-1, millis_until);
        // SAFETY: a valid array of pollfd; the descriptors belong to the jobs (which stay alive
        // and unchanged during the wait) and to the waker.
        let r = unsafe {
            libc::poll(
                self.fds.as_mut_ptr(),
                self.fds.len() as libc::nfds_t,
                timeout,
            )
        };
        let now = Instant::now();
        let mut due: Vec<Option<Ready>> = self
            .untils
            .iter()
            .map(|u| u.filter(|&u| u <= now).map(|_| Ready::NONE))
            .collect();
        if r > 0 {
            for (slot, &(i, source)) in self.fds[1..].iter().zip(&self.owners) {
                if slot.revents & (libc::POLLIN | libc::POLLHUP | libc::POLLERR | libc::POLLNVAL)
                    != 0
                {
                    due[i] = Some(due[i].unwrap_or(Ready::NONE).with(source));
                }
            }
        }
        due
    }
}

fn pollin(fd: i32) -> libc::pollfd {
    libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    }
}

/// Milliseconds until `deadline`, rounded up so that a wait never ends before it and spins.
fn millis_until(deadline: Instant) -> i32 {
    let left = deadline.saturating_duration_since(Instant::now());
    left.as_nanos().div_ceil(1_000_000).min(i32::MAX as u128) as i32
}
