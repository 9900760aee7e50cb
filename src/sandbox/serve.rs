//! Serving the router over TCP, with dropped-connection faults.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tower::ServiceExt;

use super::routes::DropConnection;
use super::{Sandbox, SandboxConfig};

impl Sandbox {
    /// Serves HTTP/1.1 on `listener` until `shutdown` completes, then waits
    /// for open requests to finish.
    pub async fn serve(
        self,
        listener: tokio::net::TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let addr = listener.local_addr()?;
        let router = self.router(format!("http://{addr}"));
        let graceful = hyper_util::server::graceful::GracefulShutdown::new();
        let mut shutdown = std::pin::pin!(shutdown);
        loop {
            let (stream, _) = tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok(s) => s,
                    // Out of file descriptors and the like: back off rather than spin.
                    Err(_) => { tokio::time::sleep(Duration::from_millis(50)).await; continue; }
                },
                () = &mut shutdown => break,
            };
            let _ = stream.set_nodelay(true);
            let router = router.clone();
            let service = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
                let router = router.clone();
                async move {
                    let resp = router
                        .oneshot(req)
                        .await
                        .unwrap_or_else(|e: Infallible| match e {});
                    // An error from the service makes hyper close the connection
                    // without a response: that is the dropped-connection fault.
                    if resp.extensions().get::<DropConnection>().is_some() {
                        Err(Dropped)
                    } else {
                        Ok(resp)
                    }
                }
            });
            let conn = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                .serve_connection_with_upgrades(TokioIo::new(stream), service)
                .into_owned();
            let conn = graceful.watch(conn);
            tokio::spawn(async move {
                let _ = conn.await;
            });
        }
        drop(listener);
        graceful.shutdown().await;
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
#[error("connection dropped by fault injection")]
struct Dropped;

/// Builds a sandbox and serves it on `127.0.0.1:0` in a tokio task, until
/// the process ends. Returns its address and handle.
pub async fn spawn(config: SandboxConfig) -> std::io::Result<(SocketAddr, Sandbox)> {
    let sandbox = Sandbox::new(config).map_err(std::io::Error::other)?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let handle = sandbox.clone();
    tokio::spawn(async move {
        let _ = sandbox.serve(listener, std::future::pending()).await;
    });
    Ok((addr, handle))
}
