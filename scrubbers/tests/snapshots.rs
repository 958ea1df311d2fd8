//! Snapshot tests of redacted events. Each snapshot records the findings (kind, rule and
//! byte range of every span) next to the scrubbed event, so a reviewer sees why each span
//! was redacted.

use hush_scrubbers::{add_summary, ScrubContext, Scrubber};
use serde::Serialize;
use serde_json::{json, Value};

#[derive(Serialize)]
struct SpanRecord {
    path: String,
    kind: String,
    rule: &'static str,
    range: [usize; 2],
}

#[derive(Serialize)]
struct Report {
    findings: Vec<SpanRecord>,
    scrubbed: Value,
}

fn findings(scrubber: &Scrubber, path: &str, v: &Value, out: &mut Vec<SpanRecord>) {
    match v {
        Value::String(s) => {
            for f in scrubber.find(s) {
                out.push(SpanRecord {
                    path: path.to_owned(),
                    kind: f.kind.name().to_owned(),
                    rule: f.rule,
                    range: [f.range.start, f.range.end],
                });
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                findings(scrubber, &format!("{path}[{i}]"), x, out);
            }
        }
        Value::Object(m) => {
            for (k, x) in m {
                findings(scrubber, &format!("{path}.{k}"), x, out);
            }
        }
        _ => {}
    }
}

fn report(event: Value) -> Report {
    let scrubber = Scrubber::default();
    let mut spans = Vec::new();
    findings(&scrubber, "$", &event, &mut spans);
    let mut scrubbed = event;
    let mut ctx = ScrubContext::new();
    scrubber.scrub_json(&mut scrubbed, &mut ctx);
    add_summary(&mut scrubbed, &ctx, "$hush_redactions");
    Report {
        findings: spans,
        scrubbed,
    }
}

#[test]
fn error_event_with_database_url_and_home_path() {
    insta::assert_json_snapshot!(report(json!({
        "event": "dev_server_failed",
        "properties": {
            "error": "PrismaClientInitializationError: Can't reach database at postgresql://edescamps:*x3s4Ks96SOs!b)@db-38.example.com:5432/app [localhost:3000]",
            "stack": "Error: EACCES: permission denied, open '/home/klinke/projects/my-app/.env'\n    at Object.openSync (node:fs:596:3)\n    at C:\\Users\\Jane Doe\\AppData\\Roaming\\npm\\node_modules\\next\\dist\\bin\\next:12:7",
            "app_version": "3.13.7",
            "duration_ms": 59214
        }
    })));
}

#[test]
fn prompt_event_with_contact_details() {
    insta::assert_json_snapshot!(report(json!({
        "event": "prompt_sent",
        "properties": {
            "prompt": "Email jane.doe+crm@example.org and call +44 20 7946 0958 (or (555) 123-4567 x12) about card 4111 1111 1111 1111, IBAN DE89 3704 0044 0532 0130 00",
            "$ip": "203.0.113.7",
            "model": "claude-sonnet-4",
            "max_tokens": 4096,
            "$ai_input_tokens": 120,
            "$set": {"email": "jane.doe@example.org"}
        }
    })));
}

#[test]
fn secrets_event_with_tokens_and_keys() {
    insta::assert_json_snapshot!(report(json!({
        "event": "setup_failed",
        "properties": {
            "error": "aws_access_key_id=AKIAQVCUJJSSD7DZFIVB aws_secret_access_key=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 rejected: InvalidClientTokenId",
            "auth": "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJlX2J5dGVzX2hlcmU",
            "key_file": "-----BEGIN EC PRIVATE KEY-----\\nMHcCAQEEIBk1Xz0dmFq7sD2d\\n",
            "password": "hunter22",
            "api_key": "sk-proj-NrCRjVIUrbn_3RBfS5G4u2NSz1fLyN6eOaDyY8zpWOQUo3U4",
            "token_count": 5,
            "project_key": "phc_AbCdEf0123456789AbCdEf0123456789AbCdEf01",
            "notes": ["slack xoxb-28205011621-805786579378-c5iSEDukNhKV7dlRrJzyG28N", "ghp_W1xxyR8flyCb1pxAKXEpZ9ezz1phTtmvK6NT"]
        }
    })));
}

#[test]
fn clean_event_is_untouched() {
    insta::assert_json_snapshot!(report(json!({
        "event": "build_finished",
        "properties": {
            "log": "webpack 5.94.0 compiled in 1532ms; next@14.2.3 on localhost:3000; commit 3f2c1a9e8b7d6c5f4e3d2c1b0a9f8e7d6c5b4a39; request 550e8400-e29b-41d4-a716-446655440000 -> HTTP 503 ECONNREFUSED",
            "integrity": "sha512-vEcDPkZ2jQz3kIqBc7uB2YkKyVnQ6HrR4qR0WQ3Uv8l4FJ1sYpXo0cK2mN5tT8eG9hA1bC3dE5fG7hI9jK1lM3n==",
            "file": "src/app/page.tsx:42:17"
        }
    })));
}

#[test]
fn prompt_and_error_with_person_names() {
    insta::assert_json_snapshot!(report(json!({
        "event": "prompt_sent",
        "properties": {
            "prompt": "Hi, I'm Hazel Smith. Draft an email from Marlon Blaine to Łukasz Wiśniewski about the React migration; Grant access to the Vercel team, Jordan said she agrees.",
            "error": "Invite failed: Phillis Ennis is already a member; permission denied for user \"deloris.dye\"; Author identity unknown (Ada Bright <no email>)",
            "model": "gpt-4o"
        }
    })));
}
