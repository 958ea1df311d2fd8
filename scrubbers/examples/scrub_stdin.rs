//! Scrubs each line of standard input and prints the result with its findings.
//!
//! ```text
//! echo 'mail jane@example.com' | cargo run -p hush-scrubbers --example scrub_stdin
//! ```

use std::io::BufRead;

fn main() {
    let scrubber = hush_scrubbers::Scrubber::default();
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        let findings = scrubber.find(&line);
        println!("{}", scrubber.scrub_text(&line));
        for f in findings {
            println!(
                "    {} {:?} {:?} {:?}",
                f.kind,
                f.range,
                f.rule,
                &line[f.range.clone()]
            );
        }
    }
}
