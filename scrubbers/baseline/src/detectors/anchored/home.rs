//! User names in home directory paths (`/home/NAME`, `/Users/NAME`, `C:\Users\NAME`).

use super::key_value::is_ident;
use super::{floor_boundary, Anchor};
use crate::detectors::{at, cand, is_alnum, prev, Cand, PRIO_STRUCTURED};
use crate::kind::Kind;

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

pub(super) fn home(text: &str, s: usize, e: usize, anchor: Anchor, out: &mut Vec<Cand>) {
    let b = text.as_bytes();
    let drive_before = |i: usize| {
        i >= 2 && b[i - 1] == b':' && b[i - 2].is_ascii_alphabetic() && !is_alnum(prev(b, i - 2))
    };
    let ok = match anchor {
        Anchor::HomeUnix => {
            (!is_ident(prev(b, s)) && prev(b, s) != b']') || (s >= 4 && &b[s - 4..s] == b"/var")
        }
        Anchor::UsersSlash => {
            let exact = &b[s..e] == b"/Users/";
            let mnt = s >= 6 && &b[s - 6..s - 1] == b"/mnt/" && b[s - 1].is_ascii_alphabetic();
            (exact && !is_ident(prev(b, s)) && prev(b, s) != b']') || drive_before(s) || mnt
        }
        Anchor::UsersBackslash => {
            drive_before(s) || (s >= 3 && drive_before(s - 1) && b[s - 1] == b'\\')
        }
        Anchor::UsersEscaped => drive_before(s),
        _ => false,
    };
    if !ok {
        return;
    }
    let windows = !matches!(anchor, Anchor::HomeUnix | Anchor::UsersSlash) || b[e - 1] == b'\\';
    let ns = e;
    let mut i = ns;
    while i < b.len() && i - ns < 64 {
        let c = b[i];
        let stop = matches!(
            c,
            b'/' | b'\\'
                | b'"'
                | b'\''
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
        ) || (!windows && c == b' ');
        if stop {
            break;
        }
        i += 1;
    }
    let mut ne = floor_boundary(text, i);
    let continues = matches!(at(b, ne), b'/' | b'\\');
    if let Some(sp) = text[ns..ne].find(' ') {
        if !continues {
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
    out.push(cand(ns, ne, Kind::Username, "home_path", PRIO_STRUCTURED));
}
