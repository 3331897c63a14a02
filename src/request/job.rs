//! The reactor's job of a flight started by an asynchronous request: the provider's fetch
//! (`Core::plan`, read on the reactor as the job starts), through the shared cache's steps when
//! it is on, with the helper's run driven by the reactor, landed in the cache like any flight.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::cache::{Fetched, Fresh, Launch};
use crate::credentials::Credentials;
use crate::error::{Error, Result};
use crate::provider::{credentials_of, run_options, Core, Plan};
use crate::reactor::Job;
use crate::runner::{Driven, Interest, Ready, WaitObject};
use crate::shared_cache::flow::Step;

enum Stage {
    /// Not advanced yet.
    Begin,
    /// Waiting for another process's lock on the shared cache's key until then.
    Waiting(Instant),
    /// The helper runs (boxed: a run is large, the other stages small), since then with that
    /// timeout (for its `helper.exit`).
    Running(Box<Driven>, Instant, Duration),
    /// Landed.
    Over,
}

pub(super) struct FetchJob {
    core: Arc<Core>,
    launch: Launch,
    /// Read when the job starts.
    plan: Option<Plan>,
    refresh_window: Duration,
    stage: Stage,
}

impl FetchJob {
    pub(super) fn new(core: Arc<Core>, launch: Launch) -> FetchJob {
        FetchJob {
            core,
            launch,
            plan: None,
            refresh_window: Duration::ZERO,
            stage: Stage::Begin,
        }
    }

    /// The next of the shared cache's steps, or the run without it.
    fn next(&mut self) -> bool {
        let step = match &mut self.plan {
            None => return self.land(Err(no_plan())),
            Some(Plan::Static(f)) => {
                let fetched = Fetched {
                    credentials: f.credentials.clone(),
                    expires_at: f.expires_at,
                };
                return self.land(Ok(fetched));
            }
            Some(Plan::Run {
                opts, shared: None, ..
            }) => {
                let timeout = opts.timeout;
                return self.start(timeout);
            }
            Some(Plan::Run {
                shared: Some(flow), ..
            }) => {
                let core = &self.core;
                flow.step(&mut |n| core.note(n, &mut |_| {}))
            }
        };
        match step {
            Step::Run(timeout) => self.start(timeout),
            Step::Wait(until) => {
                self.stage = Stage::Waiting(until);
                false
            }
            Step::Done(result) => self.finish(result),
        }
    }

    /// Spawns the helper; its failure ends the fetch.
    fn start(&mut self, timeout: Duration) -> bool {
        let Some(Plan::Run { program, opts, .. }) = &self.plan else {
            return self.land(Err(no_plan()));
        };
        let obs = self.core.observer();
        let started = obs.helper_start();
        match Driven::start(program, &run_options(opts, timeout)) {
            Ok(run) => {
                self.stage = Stage::Running(Box::new(run), started, timeout);
                false
            }
            Err(e) => {
                let failed = Err(e);
                obs.helper_end(started, timeout, 0, &failed);
                self.ran(failed)
            }
        }
    }

    /// The helper's result, through the shared cache (which writes it and lets its lock go).
    fn ran(&mut self, result: Result<Credentials>) -> bool {
        let result = match &mut self.plan {
            Some(Plan::Run {
                shared: Some(flow), ..
            }) => {
                let core = &self.core;
                flow.ran(result, &mut |n| core.note(n, &mut |_| {}))
            }
            _ => result,
        };
        self.finish(result)
    }

    fn finish(&mut self, credentials: Result<Credentials>) -> bool {
        let fetched = match &self.plan {
            Some(Plan::Run { opts, share, .. }) => self.core.fetched(share, opts, credentials),
            _ => Err(no_plan()),
        };
        self.land(fetched)
    }

    fn land(&mut self, fetched: Result<Fetched>) -> bool {
        self.stage = Stage::Over;
        // What the steps hold (the shared cache's lock) goes before the callers are told.
        self.plan = None;
        let refresh_window = self.refresh_window;
        self.core.cache().land_launched(
            &self.launch,
            fetched.map(|fetched| Fresh {
                fetched,
                refresh_window,
            }),
        );
        true
    }
}

fn no_plan() -> Error {
    Error::internal("internal error: an asynchronous fetch out of order")
}

fn idle(until: Option<Instant>) -> Interest<WaitObject<'static>> {
    Interest {
        waits: [None, None, None],
        until,
    }
}

impl Job for FetchJob {
    fn interest(&self) -> Interest<WaitObject<'_>> {
        match &self.stage {
            Stage::Running(run, ..) => run.interest(),
            Stage::Waiting(until) => idle(Some(*until)),
            Stage::Begin => idle(Some(Instant::now())),
            Stage::Over => idle(None),
        }
    }

    fn advance(&mut self, ready: Ready) -> bool {
        match &mut self.stage {
            Stage::Begin => {
                let (plan, refresh_window) = self.core.plan();
                self.plan = Some(plan);
                self.refresh_window = refresh_window;
                self.next()
            }
            Stage::Waiting(until) => {
                if Instant::now() < *until {
                    return false;
                }
                self.next()
            }
            Stage::Running(run, started, timeout) => match run.advance(ready) {
                None => false,
                Some(out) => {
                    let (started, timeout) = (*started, *timeout);
                    let bytes = out.as_ref().map_or(0, |o| o.stdout.len());
                    let result = match &self.plan {
                        Some(Plan::Run { opts, .. }) => out.and_then(|o| credentials_of(o, opts)),
                        _ => Err(no_plan()),
                    };
                    self.core
                        .observer()
                        .helper_end(started, timeout, bytes, &result);
                    self.ran(result)
                }
            },
            Stage::Over => true,
        }
    }

    fn cancel(&mut self, failure: Option<Error>) {
        let failure = failure.unwrap_or_else(Error::canceled);
        if let Stage::Running(run, started, timeout) = &mut self.stage {
            let _ = run.cancel();
            let ended: Result<Credentials> = Err(failure.clone());
            self.core
                .observer()
                .helper_end(*started, *timeout, 0, &ended);
        }
        if !matches!(self.stage, Stage::Over) {
            self.land(Err(failure));
        }
    }
}
