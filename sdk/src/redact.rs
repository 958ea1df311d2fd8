//! Client-side scrubbing (defence in depth; the collector scrubs again, authoritatively).
//!
//! Error texts and prompts go through `hush_scrubbers::Scrubber` on the caller's thread,
//! before they are queued, so a secret never sits in memory, the spool or the debug output.
//! On top of the generic detectors, the current user's home directory and user name are
//! replaced, since the SDK knows them exactly.

use hush_scrubbers::Scrubber;
use std::borrow::Cow;

/// User names too common to redact as words without eating useful text.
/// Also the directory names a home path may end in when the user name is unknown (a home
/// of `/tmp/x/home` must not turn every "home" into `[USER]`).
const COMMON_NAMES: &[&str] = &[
    "root",
    "admin",
    "user",
    "users",
    "runner",
    "ubuntu",
    "debian",
    "node",
    "home",
    "tmp",
    "var",
    "usr",
    "opt",
    "app",
    "data",
    "work",
    "workspace",
    "project",
    "src",
    "build",
];

/// Scrubs text before it is queued.
#[derive(Clone, Default)]
pub(crate) struct Redactor {
    scrubber: Scrubber,
    /// The home directory, e.g. `/home/alice` (replaced with `~`).
    home: Option<String>,
    /// The user name, e.g. `alice` (replaced with `[USER]` as a whole word).
    user: Option<String>,
}

impl Redactor {
    /// A redactor that also knows this home directory and user name.
    pub fn new(home: Option<String>, user: Option<String>) -> Self {
        let home = home
            .map(|h| h.trim_end_matches(['/', '\\']).to_string())
            .filter(|h| h.len() > 1);
        let user = user
            .map(|u| u.trim().to_string())
            .filter(|u| u.len() >= 3 && !COMMON_NAMES.iter().any(|c| c.eq_ignore_ascii_case(u)));
        Redactor {
            scrubber: Scrubber::default(),
            home,
            user,
        }
    }

    /// The scrubbed text.
    pub fn scrub(&self, text: &str) -> String {
        let mut text: Cow<'_, str> = Cow::Borrowed(text);
        if let Some(home) = &self.home {
            if text.contains(home.as_str()) {
                text = Cow::Owned(text.replace(home.as_str(), "~"));
            }
        }
        // The generic detectors first, so `/home/alice/` becomes `/home/[USER]/` with its
        // structure kept; then the user name wherever else it stands as a word.
        let scrubbed = self.scrubber.scrub_text(&text).into_owned();
        match &self.user {
            Some(user) if scrubbed.contains(user.as_str()) => {
                replace_word(&scrubbed, user, "[USER]")
            }
            _ => scrubbed,
        }
    }
}

/// Replaces `word` where it is not part of a longer identifier.
fn replace_word(text: &str, word: &str, with: &str) -> String {
    let is_ident = |c: char| c.is_alphanumeric() || c == '_';
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find(word) {
        let before = rest[..i].chars().next_back();
        let after = rest[i + word.len()..].chars().next();
        out.push_str(&rest[..i]);
        if before.is_some_and(is_ident) || after.is_some_and(is_ident) {
            out.push_str(word);
        } else {
            out.push_str(with);
        }
        rest = &rest[i + word.len()..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn home_and_user_are_removed() {
        let r = Redactor::new(Some("/home/alice/".into()), Some("alice".into()));
        let out = r.scrub("cannot open /home/alice/proj/a.rs as alice (alicex ok)");
        assert!(!out.contains("/home/alice"), "{out}");
        assert!(out.contains("~/proj/a.rs"), "{out}");
        assert!(out.contains("as [USER] "), "{out}");
        assert!(out.contains("alicex"), "{out}");
    }

    #[test]
    fn common_names_are_kept_as_words() {
        let r = Redactor::new(Some("/root".into()), Some("root".into()));
        assert!(r
            .scrub("root cause in /root/x")
            .contains("root cause in ~/x"));
    }

    #[test]
    fn other_users_paths_keep_their_structure_when_the_home_is_unusual() {
        // HOME=/tmp/x/home with no USER: the guessed name "home" must not eat paths.
        let r = Redactor::new(Some("/tmp/x/home".into()), Some("home".into()));
        let out = r.scrub("cannot open /home/bob/.npmrc for bob@example.com");
        assert_eq!(out, "cannot open /home/[USER]/.npmrc for [EMAIL]");
    }

    #[test]
    fn person_names_in_free_text_are_removed_on_the_device() {
        let r = Redactor::new(Some("/home/dev".into()), Some("dev".into()));
        let out =
            r.scrub("Hi, this is Donna Pearson. Invite failed: Phillis Ennis is already a member");
        assert_eq!(
            out,
            "Hi, this is [PERSON]. Invite failed: [PERSON] is already a member"
        );
        // Product and place words stay.
        let text = "Grant access to the Vercel team before deploying to Austin";
        assert_eq!(r.scrub(text), text);
    }
}
