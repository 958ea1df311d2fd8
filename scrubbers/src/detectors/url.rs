//! URL credentials (`scheme://user:password@host`) and webhook URLs whose path is the
//! secret (Slack, Discord). Never takes the host, the path of ordinary URLs or ports.

use super::{at, cand, ByteClasses, Cand, PRIO_STRUCTURED, PRIO_VENDOR};
use crate::kind::Kind;

pub(crate) fn url_credentials(text: &str, pos: usize, out: &mut Vec<Cand>) {
    let b = text.as_bytes();
    // Scheme must be letters (and + . -) right before `://`.
    let mut ss = pos;
    while ss > 0 && (b[ss - 1].is_ascii_alphanumeric() || matches!(b[ss - 1], b'+' | b'.' | b'-')) {
        ss -= 1;
    }
    if pos - ss < 2 || !b[ss].is_ascii_alphabetic() {
        return;
    }
    let u = pos + 3;
    let limit = (u + 512).min(b.len());
    let mut last_at = None;
    let mut i = u;
    while i < limit {
        let c = b[i];
        if c.is_ascii_whitespace() || matches!(c, b'/' | b'"' | b'\'' | b'<' | b'>' | b'`') {
            break;
        }
        if c == b'@' {
            last_at = Some(i);
        }
        i += 1;
    }
    let Some(at_pos) = last_at else { return };
    if !at(b, at_pos + 1).is_ascii_alphanumeric() && at(b, at_pos + 1) != b'[' {
        return;
    }
    let userinfo = &text[u..at_pos];
    if userinfo.contains("[HASH:")
        || userinfo.contains("[REDACTED:")
        || userinfo.starts_with("[USER]")
    {
        // Already scrubbed.
        return;
    }
    let Some(colon) = userinfo.find(':') else {
        return;
    };
    let (user, pass) = (&userinfo[..colon], &userinfo[colon + 1..]);
    // Placeholder accounts (`user:password@`, `postgres:…@`) name no one.
    let generic_user = ["user", "username", "postgres"]
        .iter()
        .any(|g| g.eq_ignore_ascii_case(user));
    if !user.is_empty() && !user.starts_with('[') && !generic_user {
        out.push(cand(
            u,
            u + colon,
            Kind::USERNAME,
            "url_credentials",
            PRIO_STRUCTURED,
        ));
    }
    // `${REDIS_PASSWORD}`, `$PASS`, `%DB_PW%` and the literal word `password` are
    // stand-ins, not passwords.
    let stand_in = is_reference(pass.as_bytes())
        || ["password", "passwd", "pass", "pwd", "secret"]
            .iter()
            .any(|w| w.eq_ignore_ascii_case(pass))
        || super::vendor::is_placeholder_body(pass.as_bytes());
    if !(pass.is_empty() || (pass.starts_with('[') && pass.ends_with(']')) || stand_in) {
        out.push(cand(
            u + colon + 1,
            at_pos,
            Kind::URL_PASSWORD,
            "url_credentials",
            PRIO_STRUCTURED,
        ));
    }
}

/// Oracle connect strings, `user/password@service`: after `jdbc:oracle:thin:` or as the
/// first argument of Oracle's command-line tools (`sqlplus scott/tiger@orcl`). `at_pos` is
/// the `@`.
pub(crate) fn oracle_credentials(text: &str, at_pos: usize, consumed: usize, out: &mut Vec<Cand>) {
    let b = text.as_bytes();
    let from = at_pos.saturating_sub(128).max(consumed);
    let Some(start) = b[from..at_pos]
        .iter()
        .rposition(|c| c.is_ascii_whitespace() || matches!(c, b'"' | b'\'' | b'=' | b':'))
        .map(|p| from + p + 1)
    else {
        return;
    };
    let Some(slash) = b[start..at_pos]
        .iter()
        .position(|&c| c == b'/')
        .map(|p| start + p)
    else {
        return;
    };
    if slash == start || slash + 1 == at_pos {
        return;
    }
    let before = &b[..start];
    let thin = before.len() >= 5 && before[before.len() - 5..].eq_ignore_ascii_case(b"thin:");
    let tool = || {
        let line = &before[before
            .iter()
            .rposition(|&c| c == b'\n')
            .map_or(0, |p| p + 1)..];
        let word = line
            .trim_ascii_end()
            .rsplit(|c| c.is_ascii_whitespace())
            .next();
        word.is_some_and(|w| {
            [
                &b"sqlplus"[..],
                b"connect",
                b"conn",
                b"expdp",
                b"impdp",
                b"exp",
                b"imp",
                b"rman",
                b"sqlldr",
            ]
            .iter()
            .any(|t| w.eq_ignore_ascii_case(t))
        })
    };
    if !(thin || (before.last().is_some_and(u8::is_ascii_whitespace) && tool())) {
        return;
    }
    let pass = &text[slash + 1..at_pos];
    if is_reference(pass.as_bytes()) || pass.starts_with('[') {
        return;
    }
    out.push(cand(
        start,
        slash,
        Kind::USERNAME,
        "url_credentials",
        PRIO_STRUCTURED,
    ));
    out.push(cand(
        slash + 1,
        at_pos,
        Kind::URL_PASSWORD,
        "url_credentials",
        PRIO_STRUCTURED,
    ));
}

/// Is the whole password a reference to one: `$NAME`, `${…}`, `$(…)`, `%NAME%`, `{…}`,
/// `<…>`? (A password may start with `$` or `%`: `$FNCp*tFbi86qr!` is one.)
fn is_reference(p: &[u8]) -> bool {
    let ident =
        |b: &[u8]| !b.is_empty() && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'_');
    let wrapped = |open: &[u8], close: u8| {
        p.len() > open.len() && p.starts_with(open) && p[p.len() - 1] == close
    };
    (p.first() == Some(&b'$') && ident(&p[1..]))
        || (p.len() > 2 && p[0] == b'%' && p[p.len() - 1] == b'%' && ident(&p[1..p.len() - 1]))
        || wrapped(b"${", b'}')
        || wrapped(b"$(", b')')
        || wrapped(b"{", b'}')
        || wrapped(b"<", b'>')
}

/// Webhook URLs whose path is the secret: host (ending right before a `/`), then path.
pub(crate) const WEBHOOKS: &[Webhook] = &[
    Webhook {
        host: b"hooks.slack.com",
        path: b"/services/",
        kind: Kind::SLACK_WEBHOOK,
        rule: "slack_webhook",
    },
    Webhook {
        host: b"hooks.slack.com",
        path: b"/workflows/",
        kind: Kind::SLACK_WEBHOOK,
        rule: "slack_webhook",
    },
    Webhook {
        host: b"discord.com",
        path: b"/api/webhooks/",
        kind: Kind::DISCORD_WEBHOOK,
        rule: "discord_webhook",
    },
    Webhook {
        host: b"discordapp.com",
        path: b"/api/webhooks/",
        kind: Kind::DISCORD_WEBHOOK,
        rule: "discord_webhook",
    },
];

/// A webhook URL whose path is the secret: the host (ending right before a `/`), then the
/// path prefix; what follows is redacted.
pub(crate) struct Webhook {
    pub host: &'static [u8],
    pub path: &'static [u8],
    pub kind: Kind,
    pub rule: &'static str,
}

pub(crate) fn webhook(
    text: &str,
    classes: &ByteClasses<'_>,
    e: usize,
    hook: &Webhook,
    out: &mut Vec<Cand>,
) {
    let b = text.as_bytes();
    let i = classes.run_end(b, e, |c| matches!(c, b'_' | b'-' | b'/'));
    if i - e >= 8 && !super::vendor::is_placeholder_body(&b[e..i]) {
        out.push(cand(e, i, hook.kind.clone(), hook.rule, PRIO_VENDOR));
    }
}
