//! The first-run notice: what is collected and how to turn it off, shown once.

use hush_config::consent::{ConsentVars, Level};

/// The notice text for an app at a level.
pub(crate) fn text(
    app: &str,
    vars: &ConsentVars,
    level: Level,
    disable_hint: Option<&str>,
) -> String {
    let mut s = format!(
        "{app} collects anonymous usage telemetry to improve the tool: whether setup and the \
         dev server succeed, how long they take, scrubbed error messages, the OS, the CPU \
         architecture and the {app} version, under an id derived from (but not revealing) \
         this machine's id.\n"
    );
    if level == Level::Full {
        s.push_str(
            "You opted in to full telemetry: error reports, feature use, performance metrics \
             and scrubbed prompts are sent too.\n",
        );
    } else {
        s.push_str(
            "Prompts, file contents, your IP address, host name and user name are never sent.\n",
        );
    }
    s.push_str(&format!(
        "To turn it off, set {}=1 (or DO_NOT_TRACK=1)",
        vars.disable
    ));
    if let Some(hint) = disable_hint {
        s.push_str(&format!(" or run `{hint}`"));
    }
    s.push_str(".\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn says_what_and_how_to_turn_off() {
        let t = text(
            "devtool",
            &ConsentVars::default(),
            Level::Basic,
            Some("devtool telemetry disable"),
        );
        assert!(t.contains("NEXT_PUBLIC_DISABLE_TELEMETRY=1"));
        assert!(t.contains("devtool telemetry disable"));
        assert!(t.contains("never sent"));
    }
}
