//! A small dev tool that embeds hush-sdk the way a real one would.
//!
//! It reads `.env` and `.env.local` from its working directory and the process environment:
//! telemetry is on only with `NEXT_PUBLIC_POSTHOG_KEY` set (and the collector at
//! `NEXT_PUBLIC_POSTHOG_HOST`), off with `NEXT_PUBLIC_DISABLE_TELEMETRY=1` or
//! `DO_NOT_TRACK=1`, and `HUSH_TELEMETRY_DEBUG=1` prints events instead of sending them.
//!
//! ```text
//! devtool setup [--fail MSG]
//! devtool dev [--fail MSG]
//! devtool prompt TEXT
//! devtool telemetry status|enable|disable|forget|export
//! devtool telemetry erase-status RECEIPT
//! ```
//!
//! `forget` asks the collector to erase this machine's data, prints the receipt, and
//! deletes the local id, spool and choice; `export` prints what the collector stores about
//! this machine, one JSON event per line.
//!
//! Run it with `cargo run -p hush-sdk --example devtool -- telemetry status`.

use anyhow::{bail, Context};
use hush_sdk::{Erase, Telemetry};
use std::process::ExitCode;
use std::time::{Duration, Instant};

const USAGE: &str = "usage:
  devtool setup [--fail MSG]
  devtool dev [--fail MSG]
  devtool prompt TEXT
  devtool telemetry status|enable|disable|forget|export
  devtool telemetry erase-status RECEIPT";

/// How long a command may wait for its events to leave before exiting.
const FLUSH_TIMEOUT: Duration = Duration::from_secs(1);

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let telemetry = Telemetry::builder("devtool", env!("CARGO_PKG_VERSION"))
        .disable_command("devtool telemetry disable")
        .shutdown_timeout(Duration::from_secs(1))
        .build();
    let is_telemetry_command = args.first().is_some_and(|a| a == "telemetry");
    if !is_telemetry_command {
        if let Some(notice) = telemetry.first_run_notice() {
            eprintln!("{notice}");
        }
    }
    let result = run(&telemetry, &args);
    // Each command flushes before exit; dropping `telemetry` spools what is left.
    let flush = telemetry.flush(FLUSH_TIMEOUT);
    if !flush.is_complete() && telemetry.status().debug {
        eprintln!("[devtool] {} telemetry events not sent yet", flush.pending);
    }
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("devtool: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(telemetry: &Telemetry, args: &[String]) -> anyhow::Result<ExitCode> {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        ["setup", rest @ ..] => {
            let started = Instant::now();
            match fail_message(rest)? {
                Some(msg) => {
                    telemetry.setup_failed(&msg);
                    eprintln!("setup failed: {msg}");
                    Ok(ExitCode::FAILURE)
                }
                None => {
                    std::thread::sleep(Duration::from_millis(20));
                    telemetry.setup_completed(started.elapsed());
                    println!("setup completed");
                    Ok(ExitCode::SUCCESS)
                }
            }
        }
        ["dev", rest @ ..] => {
            let started = Instant::now();
            match fail_message(rest)? {
                Some(msg) => {
                    telemetry.dev_server_failed(&msg);
                    eprintln!("dev server failed: {msg}");
                    Ok(ExitCode::FAILURE)
                }
                None => {
                    std::thread::sleep(Duration::from_millis(20));
                    telemetry.dev_server_started(started.elapsed());
                    telemetry.feature_used("dev_server");
                    println!("dev server ready on http://localhost:3000");
                    Ok(ExitCode::SUCCESS)
                }
            }
        }
        ["prompt", text @ ..] if !text.is_empty() => {
            let prompt = text.join(" ");
            let started = Instant::now();
            println!("(the model would answer here)");
            // Sent only if the user opted in to full telemetry; scrubbed either way.
            telemetry.prompt_sent(&prompt, "example-model");
            telemetry.performance_metric(
                "prompt_latency",
                started.elapsed().as_secs_f64() * 1000.0,
                "ms",
            );
            Ok(ExitCode::SUCCESS)
        }
        ["telemetry", "status"] => {
            print_status(telemetry);
            Ok(ExitCode::SUCCESS)
        }
        ["telemetry", "enable"] => {
            let status = telemetry.enable_full().context("storing the choice")?;
            println!("full telemetry enabled (stored in the consent file)");
            println!("{status}");
            Ok(ExitCode::SUCCESS)
        }
        ["telemetry", "disable"] => {
            let status = telemetry.disable().context("storing the choice")?;
            println!("telemetry disabled (stored in the consent file)");
            println!("{status}");
            Ok(ExitCode::SUCCESS)
        }
        ["telemetry", "forget"] => {
            let outcome = telemetry
                .forget()
                .context("deleting local telemetry data")?;
            match &outcome.erase {
                Erase::Requested(receipt) => {
                    println!("erase requested at the collector: receipt {receipt}");
                    println!("  follow it with: devtool telemetry erase-status {receipt}");
                }
                other => println!("{other}"),
            }
            println!("local telemetry id, spool and stored choice deleted");
            Ok(ExitCode::SUCCESS)
        }
        ["telemetry", "export"] => {
            let events = telemetry
                .export()
                .context("reading what the collector stores")?;
            for event in &events {
                println!("{event}");
            }
            eprintln!("{} events stored about this machine", events.len());
            Ok(ExitCode::SUCCESS)
        }
        ["telemetry", "erase-status", receipt] => {
            let status = telemetry
                .erase_status(receipt)
                .context("asking the collector")?;
            println!("receipt {}: {:?}", status.receipt, status.status);
            let count = |n: Option<u64>| n.map_or("-".to_string(), |n| n.to_string());
            println!(
                "  removed: queue {}, local {}, clickhouse {}",
                count(status.removed.queue),
                count(status.removed.local),
                count(status.removed.clickhouse)
            );
            if let Some(posthog) = &status.posthog {
                println!("  posthog: {posthog}");
            }
            if let Some(error) = &status.error {
                println!("  error:   {error}");
            }
            Ok(ExitCode::SUCCESS)
        }
        _ => {
            eprintln!("{USAGE}");
            Ok(ExitCode::from(2))
        }
    }
}

/// `[]` → no failure; `["--fail", MSG...]` → the message.
fn fail_message(rest: &[&str]) -> anyhow::Result<Option<String>> {
    match rest {
        [] => Ok(None),
        ["--fail", msg @ ..] if !msg.is_empty() => Ok(Some(msg.join(" "))),
        _ => bail!("expected nothing or --fail MSG\n{USAGE}"),
    }
}

fn print_status(telemetry: &Telemetry) {
    let s = telemetry.status();
    println!("{s}");
    println!("  level:        {}", s.level);
    if let Some(rule) = s.rule {
        println!("  rule:         {rule:?}");
    }
    if let Some(source) = &s.source {
        println!("  source:       {source}");
    }
    if let Some(error) = &s.error {
        println!("  error:        {error}");
    }
    if let Some(host) = &s.host {
        println!("  collector:    {host}");
    }
    if let Some(file) = &s.consent_file {
        println!("  consent file: {}", file.display());
    }
    println!("  debug mode:   {}", s.debug);
    println!(
        "  this run:     {} queued, {} sent, {} restored from spool",
        s.stats.queued, s.stats.sent, s.stats.restored
    );
    for r in &s.erase_receipts {
        println!("  erase sent:   receipt {r} (kept from an earlier forget)");
    }
    for w in &s.warnings {
        println!("  warning:      {w}");
    }
    println!("\n{}", telemetry.notice_text());
}
