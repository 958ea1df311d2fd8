//! Prints the person names the built-in detector finds in each line of stdin.

use std::io::BufRead;

use hush_scrubbers::{NameDetector, PersonNames};

fn main() {
    for line in std::io::stdin().lock().lines() {
        let line = line.expect("utf-8 input");
        let mut out = Vec::new();
        PersonNames.find_names(&line, &mut out);
        let names: Vec<&str> = out.iter().map(|r| &line[r.clone()]).collect();
        println!("{names:?}\t{line}");
    }
}
