//! User names in home paths (`/home/x/`, `/Users/x/`, `C:\\Users\\x\\`, `~x/`, WSL shares,
//! `C:\\Documents and Settings\\x\\`), keeping the rest of the
//! path. Never takes shared or generic homes (`/Users/Shared`, `default`), variables or
//! relative paths.

use super::floor_boundary;
use super::is_ident;
use super::{at, cand, is_alnum, prev, Cand, PRIO_STRUCTURED};
use crate::kind::Kind;

/// Which home-directory prefix was found.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Home {
    /// `/home/`
    Unix,
    /// `/Users/` (or `C:/Users/`, `/mnt/c/Users/`)
    UsersSlash,
    /// `C:\Users\`
    UsersBackslash,
    /// `C:\\Users\\` (escaped in a string)
    UsersEscaped,
    /// `\home\` in a WSL share (`\\wsl$\Ubuntu\home\x`, `\\wsl.localhost\…`)
    WslShare,
    /// `~x/` (the home of user `x`)
    Tilde,
}

const GENERIC_HOMES: &[&str] = &[
    "shared",
    "public",
    "default",
    "default user",
    "all users",
    "defaultuser0",
    "user",
    "username",
    "yourname",
    "your-name",
    "your_name",
    "me",
    "you",
    "name",
    "...",
    "…",
];

pub(crate) fn home(text: &str, s: usize, e: usize, style: Home, out: &mut Vec<Cand>) {
    let b = text.as_bytes();
    let drive_before = |i: usize| {
        i >= 2 && b[i - 1] == b':' && b[i - 2].is_ascii_alphabetic() && !is_alnum(prev(b, i - 2))
    };
    let ok = match style {
        // Also Fedora Silverblue's `/var/home`, FreeBSD's `/usr/home`, Solaris's
        // `/export/home`.
        Home::Unix => {
            (!is_ident(prev(b, s)) && prev(b, s) != b']')
                || [&b"/var"[..], b"/usr", b"/export"]
                    .iter()
                    .any(|p| b[..s].ends_with(p))
        }
        Home::UsersSlash => {
            let exact = &b[s..e] == b"/Users/";
            let mnt = s >= 6 && &b[s - 6..s - 1] == b"/mnt/" && b[s - 1].is_ascii_alphabetic();
            // Git Bash's `/c/Users/`, macOS's `/System/Volumes/Data/Users/`.
            let git_bash = s >= 2
                && b[s - 1].is_ascii_alphabetic()
                && b[s - 2] == b'/'
                && !is_ident(prev(b, s - 2));
            let data_volume = b[..s].ends_with(b"/Data");
            (exact && !is_ident(prev(b, s)) && prev(b, s) != b']')
                || drive_before(s)
                || mnt
                || (exact && (git_bash || data_volume))
        }
        Home::UsersBackslash => {
            drive_before(s) || (s >= 3 && drive_before(s - 1) && b[s - 1] == b'\\')
        }
        Home::UsersEscaped => drive_before(s),
        Home::WslShare => {
            let head = &b[s.saturating_sub(48)..s];
            head.windows(5).any(|w| w.eq_ignore_ascii_case(b"\\\\wsl"))
        }
        Home::Tilde => true,
    };
    if !ok {
        return;
    }
    let ns = e;
    let mut i = ns;
    while i < b.len() && i - ns < 64 {
        let c = b[i];
        let stop = matches!(
            c,
            b'/' | b'\\'
                | b'"'
                | b'`'
                | b'\n'
                | b'\r'
                | b'\t'
                | b'<'
                | b'>'
                | b'|'
                | b'*'
                | b'?'
                | b':'
                | b','
                | b';'
                | b')'
                | b']'
                | b'('
                | b'['
                | b'{'
                | b'}'
        ) || (c == b'\''
            && !(prev(b, i).is_ascii_alphabetic() && at(b, i + 1).is_ascii_alphabetic()));
        if stop {
            break;
        }
        i += 1;
    }
    let mut ne = floor_boundary(text, i);
    let continues = matches!(at(b, ne), b'/' | b'\\');
    // A name with spaces (`/Users/John Smith/`, `C:/Users/Mary Ann Lee/`) only where the
    // path goes on after it and every further word is capitalised or a name particle;
    // otherwise the name ends at the first space (`/home/jdoe and more`).
    if let Some(sp) = text[ns..ne].find(' ') {
        if !(continues && spaced_name(&text[ns..ne])) {
            ne = ns + sp;
        }
    }
    while ne > ns && b[ne - 1] == b' ' {
        ne -= 1;
    }
    while !text.is_char_boundary(ne) {
        ne -= 1;
    }
    if ne <= ns {
        return;
    }
    let name = &text[ns..ne];
    if matches!(
        name.as_bytes()[0],
        b'$' | b'%' | b'<' | b'{' | b'[' | b'~' | b'.' | b'*'
    ) || GENERIC_HOMES.iter().any(|g| g.eq_ignore_ascii_case(name))
    {
        return;
    }
    out.push(cand(ns, ne, Kind::USERNAME, "home_path", PRIO_STRUCTURED));
}

/// Is `name` a person's name with spaces: every word after the first capitalised (or a
/// particle such as `van`, `de`), none of them empty?
fn spaced_name(name: &str) -> bool {
    const PARTICLES: &[&str] = &[
        "van", "von", "der", "den", "de", "da", "das", "do", "dos", "del", "della", "di", "du",
        "la", "le", "bin", "al", "y", "e",
    ];
    let mut words = name.split(' ');
    words.next().is_some_and(|w| !w.is_empty())
        && words.all(|w| w.chars().next().is_some_and(char::is_uppercase) || PARTICLES.contains(&w))
}
