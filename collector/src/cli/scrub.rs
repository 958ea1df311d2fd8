//! `hush-collector scrub`: JSON Lines in, the surviving events scrubbed and hashed out,
//! through exactly the pipeline `serve` uses.

use super::load;
use hush_collector::drop_reason::DropReason;
use hush_collector::pipeline::{describe_json_error, now, parse_event, Pipeline, Tenants, Verdict};
use std::collections::BTreeMap;
use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::process::ExitCode;

/// What a run did. Printed on stderr by the binary.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ScrubSummary {
    /// Non-empty input lines read.
    pub lines: u64,
    /// Events written to the output.
    pub forwarded: u64,
    /// Events dropped by the policy, by reason.
    pub dropped: BTreeMap<DropReason, u64>,
    /// Lines that could not be read as an event: (line number, reason without content).
    pub bad_lines: Vec<(u64, String)>,
    /// Redactions by kind.
    pub redactions: BTreeMap<String, u64>,
}

impl ScrubSummary {
    /// The summary as a few lines of text (counts and reasons only); reasons by their stable
    /// names ([`DropReason::as_str`]), in name order.
    pub fn render(&self) -> String {
        let mut out = format!(
            "scrub: {} lines, {} forwarded, {} dropped, {} bad\n",
            self.lines,
            self.forwarded,
            self.dropped.values().sum::<u64>(),
            self.bad_lines.len()
        );
        let mut dropped: BTreeMap<&str, u64> = BTreeMap::new();
        for (reason, n) in &self.dropped {
            *dropped.entry(reason.as_str()).or_default() += n;
        }
        for (reason, n) in dropped {
            out.push_str(&format!("  dropped {reason}: {n}\n"));
        }
        for (kind, n) in &self.redactions {
            out.push_str(&format!("  redacted {kind}: {n}\n"));
        }
        out
    }
}

/// Runs the pipeline over JSON Lines. A bad line is reported on `errors` by line number
/// (its content is never echoed) and skipped.
///
/// # Errors
/// Only I/O errors on `input` or `output`.
pub fn run_scrub(
    pipeline: &Pipeline,
    tenants: &Tenants,
    input: impl BufRead,
    mut output: impl Write,
    mut errors: impl Write,
) -> std::io::Result<ScrubSummary> {
    let mut summary = ScrubSummary::default();
    let mut line_no = 0u64;
    let mut buf = Vec::new();
    let mut input = input;
    loop {
        buf.clear();
        if input.read_until(b'\n', &mut buf)? == 0 {
            break;
        }
        line_no += 1;
        if buf.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        summary.lines += 1;
        let mut bad = |reason: String| {
            let _ = writeln!(errors, "line {line_no}: {reason}");
            summary.bad_lines.push((line_no, reason));
        };
        let value: serde_json::Value = match serde_json::from_slice(&buf) {
            Ok(v) => v,
            Err(e) => {
                bad(describe_json_error(&e));
                continue;
            }
        };
        let (key, event) = match parse_event(value) {
            Ok(parsed) => parsed,
            Err(e) => {
                bad(e.to_string());
                continue;
            }
        };
        let tenant = match key.as_deref() {
            Some(key) if !tenants.is_empty() => match tenants.get(key) {
                Some(t) => t,
                None => {
                    bad("unknown project api_key".into());
                    continue;
                }
            },
            _ => match tenants.fallback() {
                Some(t) => t,
                None => {
                    bad("no tenant for this event".into());
                    continue;
                }
            },
        };
        match pipeline.process(tenant, event, now(), &mut summary.redactions) {
            Verdict::Forward(stored) => {
                serde_json::to_writer(&mut output, &stored.to_posthog())?;
                output.write_all(b"\n")?;
                summary.forwarded += 1;
            }
            Verdict::Drop(reason) => {
                *summary.dropped.entry(reason).or_default() += 1;
            }
        }
    }
    output.flush()?;
    Ok(summary)
}

/// Runs `scrub` on stdin and stdout with `config`'s tenants and rules.
pub fn scrub(config: Option<PathBuf>) -> anyhow::Result<ExitCode> {
    let config = load(config)?;
    let scrubber = hush_collector::build_scrubber(&config.scrub)?;
    let tenants =
        Tenants::for_scrub(&config).map_err(|e| anyhow::anyhow!("generating a hash key: {e}"))?;
    let pipeline = Pipeline::new(scrubber);
    let stdin = std::io::stdin().lock();
    let stdout = std::io::BufWriter::new(std::io::stdout().lock());
    let stderr = std::io::stderr();
    let summary = run_scrub(&pipeline, &tenants, stdin, stdout, stderr.lock())?;
    eprint!("{}", summary.render());
    Ok(if summary.bad_lines.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The summary names reasons as `/metrics` does, in name order (not the enum's).
    #[test]
    fn render_lists_drops_by_name() {
        let summary = ScrubSummary {
            lines: 6,
            forwarded: 1,
            dropped: BTreeMap::from([
                (DropReason::UnknownEvent, 2),
                (DropReason::NotOptedIn, 1),
                (DropReason::ChatResponse, 1),
            ]),
            bad_lines: vec![(6, "not JSON".into())],
            redactions: BTreeMap::from([("email".to_string(), 1)]),
        };
        assert_eq!(
            summary.render(),
            "scrub: 6 lines, 1 forwarded, 4 dropped, 1 bad\n  \
             dropped chat_response: 1\n  \
             dropped not_opted_in: 1\n  \
             dropped unknown_event: 2\n  \
             redacted email: 1\n"
        );
    }
}
