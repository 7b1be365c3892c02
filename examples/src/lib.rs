//! Runnable examples: `cargo run --example <name>` from the workspace root. Each example file
//! starts with a comment saying what it shows and how to run it.
//!
//! This library holds what the examples share: the reading of their `--name value` options.

#![forbid(unsafe_code)]

use std::error::Error;

/// The `--name value` options of an example's command line.
///
/// # Examples
///
/// ```
/// let options = coremeter_examples::Options::from_args(
///     "demo",
///     &[("--addr", "HOST:PORT"), ("--seconds", "N")],
///     ["--seconds", "3"].map(String::from),
/// )?;
/// assert_eq!(options.get("--addr"), None);
/// assert_eq!(options.seconds()?, Some(3));
/// assert!(coremeter_examples::Options::from_args("demo", &[], ["--x".to_owned()]).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Options(Vec<(String, String)>);

impl Options {
    /// The options of this process (`std::env::args`, see [`from_args`](Self::from_args)).
    ///
    /// # Errors
    ///
    /// As [`from_args`](Self::from_args).
    pub fn parse(example: &str, accepted: &[(&str, &str)]) -> Result<Self, String> {
        Self::from_args(example, accepted, std::env::args().skip(1))
    }

    /// Reads `args`: each one of the `accepted` names (`("--addr", "HOST:PORT")`: the name and
    /// what its value is) followed by its value.
    ///
    /// # Errors
    ///
    /// Another argument, or a name without a value: the message is the example's usage line.
    pub fn from_args(
        example: &str,
        accepted: &[(&str, &str)],
        args: impl IntoIterator<Item = String>,
    ) -> Result<Self, String> {
        let mut options = Vec::new();
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            match (accepted.iter().any(|(n, _)| *n == arg), args.next()) {
                (true, Some(value)) => options.push((arg, value)),
                _ => {
                    let usage: Vec<String> =
                        accepted.iter().map(|(n, v)| format!("[{n} {v}]")).collect();
                    return Err(format!("usage: {example} {}, got {arg:?}", usage.join(" ")));
                }
            }
        }
        Ok(Options(options))
    }

    /// The value of the option `name` (the last one given), if given.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// `--seconds N`: how long the example runs, if given.
    ///
    /// # Errors
    ///
    /// A value that is not a whole number of seconds.
    pub fn seconds(&self) -> Result<Option<u64>, Box<dyn Error>> {
        Ok(self.get("--seconds").map(str::parse).transpose()?)
    }
}

/// Serves `app` on `addr` until `seconds` have passed (or, without them, until Ctrl-C), after
/// printing `hint` of the bound address (port 0 is the system's choice): the server loop of the
/// axum examples.
///
/// # Errors
///
/// The address cannot be bound, or the server fails.
pub async fn serve_axum(
    app: axum::Router,
    addr: &str,
    seconds: Option<u64>,
    hint: impl FnOnce(std::net::SocketAddr) -> String,
) -> Result<(), Box<dyn Error>> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    println!("{}", hint(listener.local_addr()?));
    let stop = async move {
        match seconds {
            Some(s) => tokio::time::sleep(std::time::Duration::from_secs(s)).await,
            None => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    };
    axum::serve(listener, app)
        .with_graceful_shutdown(stop)
        .await?;
    Ok(())
}
