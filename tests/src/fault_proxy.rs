//! A TCP proxy between a hook and the local AWS stand-in that cuts the first answers mid-way:
//! the upstream's response is read, half of it forwarded, and the connection closed.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

pub struct CuttingProxy {
    pub addr: SocketAddr,
    /// Answers cut so far.
    pub cut: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for CuttingProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl CuttingProxy {
    /// Proxies to `upstream` (host:port); the first `cuts` answers are cut mid-way.
    pub async fn start(upstream: SocketAddr, cuts: usize) -> CuttingProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind a loopback port");
        let addr = listener.local_addr().expect("a bound address");
        let cut = Arc::new(AtomicUsize::new(0));
        let counter = cut.clone();
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let counter = counter.clone();
                tokio::spawn(async move {
                    let Ok(server) = TcpStream::connect(upstream).await else {
                        return;
                    };
                    let cutting = counter
                        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| (n < cuts).then_some(n + 1))
                        .is_ok();
                    if cutting {
                        cut_answer(client, server).await
                    } else {
                        pass(client, server).await
                    }
                });
            }
        });
        CuttingProxy { addr, cut, task }
    }
}

async fn pass(mut client: TcpStream, mut server: TcpStream) {
    let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
}

/// Forwards the request, then half of the first chunk of the answer, then hangs up.
async fn cut_answer(client: TcpStream, server: TcpStream) {
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    let upload = tokio::spawn(async move {
        let _ = tokio::io::copy(&mut client_read, &mut server_write).await;
    });
    let mut buf = vec![0u8; 64 * 1024];
    if let Ok(n) = server_read.read(&mut buf).await
        && n > 1
    {
        let _ = client_write.write_all(&buf[..n / 2]).await;
    }
    let _ = client_write.shutdown().await;
    upload.abort();
}
