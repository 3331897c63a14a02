//! Asynchronous, cancellable retrieves: [`ProcessProvider::retrieve_async`] (a future, for any
//! async runtime) and [`ProcessProvider::retrieve_with`] (a callback, for the C ABI).
//!
//! A request joins the provider's single flight as a listener: valid cached credentials are
//! its result at once; otherwise it waits for the flight in progress (started by a blocking
//! caller, a background refresh or another request), or starts one that the library's reactor
//! thread drives ([`job`]). Blocking and asynchronous callers of one provider share one run.
//! A request's result is delivered exactly once: the credentials, the run's error, or its
//! cancellation ([`Status::Canceled`](crate::Status::Canceled)), whichever comes first.
//! Cancelling the last request interested in a flight the reactor drives (no blocking caller
//! waiting) kills the helper's tree and lets the shared cache's lock go; the next retrieve
//! starts afresh. Freeing the provider cancels its pending requests.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Weak};
use std::task::{Context, Poll, Waker};

use parking_lot::Mutex;

use crate::cache::{Joined, Listener, Membership, Outcome};
use crate::credentials::Credentials;
use crate::error::{Error, Result};
use crate::observe::{event, Event};
use crate::provider::{Core, ProcessProvider};
use crate::reactor::{self, callbacks};

mod job;

/// Where a request's result goes.
enum Deliver {
    /// A callback, run on the library's callback thread.
    Callback(Box<dyn FnOnce(Outcome) + Send>),
    /// A future's slot: filled, and its task woken, on the thread the result comes from.
    Future(Arc<Slot>),
}

impl Deliver {
    fn deliver(self, result: Outcome) {
        match self {
            Deliver::Callback(f) => callbacks::run_later(Box::new(move || f(result))),
            Deliver::Future(slot) => slot.fill(result),
        }
    }
}

/// A request, from its start until its result is delivered.
struct Pending {
    /// `Some` until the result (or the cancellation) is delivered: whoever takes it delivers.
    deliver: Mutex<Option<Deliver>>,
    /// The flight it listens to.
    membership: Mutex<Option<Membership>>,
    /// The provider's parts, for its events (a request does not keep them alive).
    core: Weak<Core>,
}

impl Pending {
    fn new(deliver: Deliver, core: &Arc<Core>) -> Arc<Pending> {
        Arc::new(Pending {
            deliver: Mutex::new(Some(deliver)),
            membership: Mutex::new(None),
            core: Arc::downgrade(core),
        })
    }

    /// Joins `core`'s cache: `Some` result when there is one at once (cached credentials, or a
    /// closed provider's cancellation); `None` when the request waits for a flight.
    fn start(self: &Arc<Pending>, core: &Arc<Core>) -> Option<Outcome> {
        let listener: Arc<dyn Listener> = self.clone();
        match core.cache().join(core.observer(), listener, || {
            ProcessProvider::ahead_job(core)
        }) {
            Joined::Hit(c) => Some(Ok(c)),
            Joined::Closed => Some(Err(Error::canceled())),
            Joined::Waiting(m) => {
                *self.membership.lock() = Some(m);
                None
            }
            Joined::Start(m, launch) => {
                *self.membership.lock() = Some(m);
                let ctl = launch.job().clone();
                reactor::submit(Box::new(job::FetchJob::new(core.clone(), launch)), ctl);
                None
            }
        }
    }

    /// Cancels the request: unless its result was delivered already, it leaves its flight
    /// (abandoned if it was the last caller interested in a run the reactor drives: the helper's
    /// tree is killed) and its cancellation is delivered. The one place a request is cancelled
    /// (`request.cancel`, told before the flight is left, so that it comes before the run's end).
    fn cancel(self: &Arc<Pending>) {
        let Some(deliver) = self.deliver.lock().take() else {
            return;
        };
        if let Some(core) = self.core.upgrade() {
            event!(core.observer(), Event::RequestCancel);
        }
        if let Some(m) = self.membership.lock().take() {
            let me: Arc<dyn Listener> = self.clone();
            m.leave(&me);
        }
        deliver.deliver(Err(Error::canceled()));
    }
}

impl Listener for Pending {
    fn complete(&self, result: Outcome) {
        let deliver = self.deliver.lock().take();
        if let Some(d) = deliver {
            self.membership.lock().take();
            d.deliver(result);
        }
    }
}

/// A request started by [`ProcessProvider::retrieve_with`]: its callback runs exactly once, on
/// the library's callback thread. Dropping the handle does not cancel the request.
#[derive(Clone)]
pub struct Request {
    pending: Arc<Pending>,
}

impl Request {
    /// Cancels the request: unless its callback has started or been queued with the result
    /// already, the callback is queued at once with an error of status
    /// [`Status::Canceled`](crate::Status::Canceled). When no other caller (asynchronous or
    /// blocking) waits for the run it was waiting for, and the library's reactor drives that
    /// run, the helper and its descendants are killed. A background refresh runs on (it ends
    /// with its run or when the provider is dropped). Calling it again does nothing.
    pub fn cancel(&self) {
        self.pending.cancel();
    }
}

impl std::fmt::Debug for Request {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let pending = self.pending.deliver.lock().is_some();
        f.debug_struct("Request")
            .field("pending", &pending)
            .finish()
    }
}

/// The future of a request ([`ProcessProvider::retrieve_async`]) stores its result here.
#[derive(Default)]
struct Slot(Mutex<SlotInner>);

#[derive(Default)]
struct SlotInner {
    result: Option<Outcome>,
    waker: Option<Waker>,
}

impl Slot {
    fn fill(&self, result: Outcome) {
        let waker = {
            let mut inner = self.0.lock();
            inner.result = Some(result);
            inner.waker.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
    }
}

/// The future returned by [`ProcessProvider::retrieve_async`]. Runtime-agnostic: it needs no
/// particular executor (the library's own thread runs the helper and wakes the task). Dropping
/// it before it completes cancels the request.
#[must_use = "a future does nothing unless polled; dropping it cancels the retrieve"]
pub struct Retrieval {
    state: State,
}

enum State {
    /// Not polled yet.
    New(Arc<Core>),
    /// Waiting for a flight.
    Waiting(Arc<Pending>, Arc<Slot>),
    /// Completed.
    Done,
}

impl Future for Retrieval {
    type Output = Result<Arc<Credentials>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if let State::New(core) = &self.state {
            let slot = Arc::new(Slot::default());
            slot.0.lock().waker = Some(cx.waker().clone());
            let pending = Pending::new(Deliver::Future(slot.clone()), core);
            if let Some(result) = pending.start(core) {
                self.state = State::Done;
                return Poll::Ready(result);
            }
            self.state = State::Waiting(pending, slot);
        }
        let State::Waiting(_, slot) = &self.state else {
            return Poll::Ready(Err(Error::internal(
                "a retrieve's future was polled after it completed",
            )));
        };
        let mut inner = slot.0.lock();
        if let Some(result) = inner.result.take() {
            drop(inner);
            self.state = State::Done;
            return Poll::Ready(result);
        }
        match &inner.waker {
            Some(w) if w.will_wake(cx.waker()) => {}
            _ => inner.waker = Some(cx.waker().clone()),
        }
        Poll::Pending
    }
}

impl Retrieval {
    /// Lets the request run on without this future: unlike dropping it, which cancels, the
    /// request stays interested in its run until the run ends (its credentials are then cached
    /// as usual), and its result goes nowhere. A future never polled started nothing: detaching
    /// it does nothing.
    pub fn detach(mut self) {
        self.state = State::Done;
    }
}

impl Drop for Retrieval {
    fn drop(&mut self) {
        if let State::Waiting(pending, _) = &self.state {
            pending.cancel();
        }
    }
}

impl std::fmt::Debug for Retrieval {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = match self.state {
            State::New(_) => "new",
            State::Waiting(..) => "waiting",
            State::Done => "done",
        };
        f.debug_struct("Retrieval").field("state", &state).finish()
    }
}

impl ProcessProvider {
    /// The credentials, as [`retrieve`](Self::retrieve), without blocking: a future for any
    /// async runtime (the library depends on none). Valid cached credentials are ready at the
    /// first poll, with nothing run and no thread involved. Otherwise the future waits for the
    /// run in progress (blocking callers, other futures and the C ABI's asynchronous requests
    /// of this provider share one run), or starts one that the library's reactor thread drives
    /// (see the README, "Event loops": at most two library threads serve every asynchronous
    /// request of the process).
    ///
    /// The future is `'static`: it holds the provider's parts, not a borrow. Dropping it before
    /// it completes cancels the request: when no other caller waits for the run, the helper and
    /// its descendants are killed. If the provider is dropped first, the future completes with
    /// an error of status [`Status::Canceled`](crate::Status::Canceled).
    ///
    /// ```
    /// use processcreds::ProcessProvider;
    /// # fn block_on<F: std::future::Future>(f: F) -> F::Output {
    /// #     struct Unpark(std::thread::Thread);
    /// #     impl std::task::Wake for Unpark {
    /// #         fn wake(self: std::sync::Arc<Self>) { self.0.unpark() }
    /// #     }
    /// #     let waker = std::task::Waker::from(std::sync::Arc::new(Unpark(std::thread::current())));
    /// #     let mut cx = std::task::Context::from_waker(&waker);
    /// #     let mut f = std::pin::pin!(f);
    /// #     loop {
    /// #         if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) { return v; }
    /// #         std::thread::park();
    /// #     }
    /// # }
    ///
    /// let p = ProcessProvider::new(
    ///     r#"printf '{"Version":1,"AccessKeyId":"AKID","SecretAccessKey":"secret"}'"#,
    /// );
    /// let creds = block_on(p.retrieve_async())?; // any executor: tokio, async-std, smol...
    /// assert_eq!(creds.access_key_id(), "AKID");
    /// # Ok::<(), processcreds::Error>(())
    /// ```
    pub fn retrieve_async(&self) -> Retrieval {
        Retrieval {
            state: State::New(self.core().clone()),
        }
    }

    /// Starts a retrieve whose result is handed to `callback`, exactly once, on the library's
    /// callback thread (never on the calling thread, also for cached credentials): the
    /// credentials, the run's error, or an error of status
    /// [`Status::Canceled`](crate::Status::Canceled) when the request is cancelled
    /// ([`Request::cancel`]) or the provider dropped first. Callbacks run one at a time, in
    /// order; one that blocks delays the next ones, never a run.
    pub fn retrieve_with(
        &self,
        callback: impl FnOnce(Result<Arc<Credentials>>) + Send + 'static,
    ) -> Request {
        self.retrieve_with_then(callback, |_| {})
    }

    /// [`retrieve_with`](Self::retrieve_with), with `before` given the request before it starts
    /// (so that what it does happens before the callback runs).
    pub(crate) fn retrieve_with_then(
        &self,
        callback: impl FnOnce(Result<Arc<Credentials>>) + Send + 'static,
        before: impl FnOnce(&Request),
    ) -> Request {
        let request = Request {
            pending: Pending::new(Deliver::Callback(Box::new(callback)), self.core()),
        };
        before(&request);
        if let Some(result) = request.pending.start(self.core()) {
            request.pending.complete(result);
        }
        request
    }
}
