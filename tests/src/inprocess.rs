//! The collector inside the test process, on a loopback port, with a shutdown handle.

use hush_config::CollectorConfig;
use std::path::Path;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A collector running in this process. Call [`InProcess::stop`] for a graceful shutdown.
pub struct InProcess {
    /// Base URL, e.g. `http://127.0.0.1:PORT`.
    pub url: String,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<anyhow::Result<()>>>,
}

impl InProcess {
    /// Loads `config_toml` (no `listen` needed; `data_dir` defaults to `dir/data`) with an
    /// empty environment and serves it on a free loopback port.
    ///
    /// # Errors
    /// When the config is invalid or the port cannot be bound.
    pub async fn start(dir: &Path, config_toml: &str) -> anyhow::Result<Self> {
        let path = dir.join("hush.toml");
        let data_dir = dir.join("data");
        std::fs::write(
            &path,
            format!("data_dir = \"{}\"\n{config_toml}", data_dir.display()),
        )?;
        let config = CollectorConfig::load_from(Some(&path), Vec::new())?;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}", listener.local_addr()?);
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            hush_collector::serve(config, listener, async {
                let _ = stopped.await;
            })
            .await?;
            Ok(())
        });
        Ok(InProcess {
            url,
            stop: Some(stop),
            task: Some(task),
        })
    }

    /// Graceful shutdown; waits for it.
    ///
    /// # Errors
    /// When the server task failed.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await??;
        }
        Ok(())
    }
}

impl Drop for InProcess {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}
