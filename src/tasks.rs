//! Owned tasks: every task a part of the node spawns is tracked, under one cancellation tree,
//! so that stopping a part means cancelling its token and waiting for its tracker.
//!
//! The node holds the root [`Tasks`]; the network and the HTTP API run under children of it.
//! A task spawned with [`Tasks::spawn`] is dropped at its next await once its token is
//! cancelled; blocking work spawned with [`Tasks::spawn_blocking`] runs to its end, and the
//! tracker waits for it too.

use std::future::Future;

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// A cancellation token and the tracker of the tasks that obey it.
#[derive(Clone, Debug)]
pub struct Tasks {
    token: CancellationToken,
    tracker: TaskTracker,
}

impl Default for Tasks {
    fn default() -> Self {
        Tasks::new()
    }
}

impl Tasks {
    /// A root: nothing above it cancels it.
    pub fn new() -> Tasks {
        Tasks {
            token: CancellationToken::new(),
            tracker: TaskTracker::new(),
        }
    }

    /// A part below this one: cancelled with it (or alone), with its own tracker.
    pub fn child(&self) -> Tasks {
        Tasks {
            token: self.token.child_token(),
            tracker: TaskTracker::new(),
        }
    }

    pub fn token(&self) -> &CancellationToken {
        &self.token
    }

    pub fn is_cancelled(&self) -> bool {
        self.token.is_cancelled()
    }

    /// Resolves once this part is told to stop.
    pub async fn cancelled(&self) {
        self.token.cancelled().await
    }

    /// Runs `fut` as a tracked task that ends when it does or when the token is cancelled.
    pub fn spawn<F>(&self, fut: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let token = self.token.clone();
        self.tracker.spawn(async move {
            token.run_until_cancelled(fut).await;
        });
    }

    /// Runs `fut` as a tracked task that ends when it does, when this part is cancelled, or
    /// when the returned token is (to stop this one task alone).
    pub fn spawn_cancellable<F>(&self, fut: F) -> CancellationToken
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let token = self.token.child_token();
        let t = token.clone();
        self.tracker.spawn(async move {
            t.run_until_cancelled(fut).await;
        });
        token
    }

    /// Runs `fut` as a tracked task that watches the token itself (a server that shuts down
    /// gracefully when told): it is not dropped at cancellation, and [`Tasks::stop`] waits for
    /// it to end.
    pub fn spawn_watching<F>(&self, fut: F)
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.tracker.spawn(fut);
    }

    /// Runs blocking work on tokio's blocking threads, tracked (it cannot be cancelled; the
    /// tracker waits for it). Returns its handle.
    pub fn spawn_blocking<F, T>(&self, f: F) -> tokio::task::JoinHandle<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        self.tracker.spawn_blocking(f)
    }

    /// Cancels this part (and its children) and waits until every task it tracks has ended.
    /// Children track their own tasks: stop them first to wait for theirs.
    pub async fn stop(&self) {
        self.token.cancel();
        self.tracker.close();
        self.tracker.wait().await;
    }

    /// Tasks still running.
    pub fn len(&self) -> usize {
        self.tracker.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tracker.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn stopping_a_parent_cancels_its_children_and_waits_for_its_own_tasks() {
        let root = Tasks::new();
        let child = root.child();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        // A task that would never end by itself.
        child.spawn(async move {
            let _keep = tx;
            std::future::pending::<()>().await;
        });
        let done = root.spawn_blocking(|| 7);
        assert_eq!(child.len(), 1);
        root.stop().await;
        assert!(child.is_cancelled());
        child.stop().await;
        assert!(child.is_empty() && root.is_empty());
        // The cancelled task was dropped: its sender is gone.
        assert!(rx.await.is_err());
        assert_eq!(done.await.unwrap(), 7);
    }
}
