//! Table-driven tests of every consent rule and every precedence pair, with temp dirs and
//! explicit environments (never the developer's own).

use hush_config::consent::{
    resolve, ConsentError, ConsentInputs, ConsentVars, Decision, Level, Rule, Source,
};
use std::fs;
use std::path::Path;
use tempfile::TempDir;

const KEY: &str = "NEXT_PUBLIC_POSTHOG_KEY";
const DISABLE: &str = "NEXT_PUBLIC_DISABLE_TELEMETRY";
const DNT: &str = "DO_NOT_TRACK";
const LEVEL: &str = "HUSH_TELEMETRY_LEVEL";

fn pairs(vars: &[(&str, &str)]) -> Vec<(String, String)> {
    vars.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn write(dir: &Path, name: &str, vars: &[(&str, &str)]) {
    let text: String = vars.iter().map(|(k, v)| format!("{k}={v}\n")).collect();
    fs::write(dir.join(name), text).unwrap();
}

fn env_only(vars: &[(&str, &str)]) -> Result<Decision, ConsentError> {
    resolve(&ConsentInputs::new(ConsentVars::default()).environment(pairs(vars)))
}

#[test]
fn every_rule() {
    struct Case {
        name: &'static str,
        env: &'static [(&'static str, &'static str)],
        level: Level,
        rule: Rule,
    }
    let cases = [
        Case {
            name: "disable true",
            env: &[(KEY, "phc_x"), (DISABLE, "true")],
            level: Level::Off,
            rule: Rule::DisableFlag,
        },
        Case {
            name: "disable TRUE",
            env: &[(KEY, "phc_x"), (DISABLE, "TRUE")],
            level: Level::Off,
            rule: Rule::DisableFlag,
        },
        Case {
            name: "disable 1",
            env: &[(KEY, "phc_x"), (DISABLE, "1")],
            level: Level::Off,
            rule: Rule::DisableFlag,
        },
        Case {
            name: "disable yes",
            env: &[(KEY, "phc_x"), (DISABLE, "yes")],
            level: Level::Off,
            rule: Rule::DisableFlag,
        },
        Case {
            name: "disable Yes",
            env: &[(KEY, "phc_x"), (DISABLE, "Yes")],
            level: Level::Off,
            rule: Rule::DisableFlag,
        },
        Case {
            name: "disable beats full",
            env: &[(KEY, "phc_x"), (DISABLE, "1"), (LEVEL, "full")],
            level: Level::Off,
            rule: Rule::DisableFlag,
        },
        Case {
            name: "disable false",
            env: &[(KEY, "phc_x"), (DISABLE, "false")],
            level: Level::Basic,
            rule: Rule::Default,
        },
        Case {
            name: "disable 0",
            env: &[(KEY, "phc_x"), (DISABLE, "0")],
            level: Level::Basic,
            rule: Rule::Default,
        },
        Case {
            name: "disable empty",
            env: &[(KEY, "phc_x"), (DISABLE, "")],
            level: Level::Basic,
            rule: Rule::Default,
        },
        Case {
            name: "key missing",
            env: &[],
            level: Level::Off,
            rule: Rule::MissingKey,
        },
        Case {
            name: "key empty",
            env: &[(KEY, "")],
            level: Level::Off,
            rule: Rule::MissingKey,
        },
        Case {
            name: "key blank",
            env: &[(KEY, "   ")],
            level: Level::Off,
            rule: Rule::MissingKey,
        },
        Case {
            name: "key missing beats full",
            env: &[(LEVEL, "full")],
            level: Level::Off,
            rule: Rule::MissingKey,
        },
        Case {
            name: "dnt 1",
            env: &[(KEY, "phc_x"), (DNT, "1")],
            level: Level::Off,
            rule: Rule::DoNotTrack,
        },
        Case {
            name: "dnt true",
            env: &[(KEY, "phc_x"), (DNT, "true")],
            level: Level::Off,
            rule: Rule::DoNotTrack,
        },
        Case {
            name: "dnt beats full",
            env: &[(KEY, "phc_x"), (DNT, "1"), (LEVEL, "full")],
            level: Level::Off,
            rule: Rule::DoNotTrack,
        },
        Case {
            name: "dnt 0",
            env: &[(KEY, "phc_x"), (DNT, "0")],
            level: Level::Basic,
            rule: Rule::Default,
        },
        Case {
            name: "default basic",
            env: &[(KEY, "phc_x")],
            level: Level::Basic,
            rule: Rule::Default,
        },
        Case {
            name: "opt in full",
            env: &[(KEY, "phc_x"), (LEVEL, "full")],
            level: Level::Full,
            rule: Rule::ExplicitLevel,
        },
        Case {
            name: "opt in FULL",
            env: &[(KEY, "phc_x"), (LEVEL, "FULL")],
            level: Level::Full,
            rule: Rule::ExplicitLevel,
        },
        Case {
            name: "level basic",
            env: &[(KEY, "phc_x"), (LEVEL, "basic")],
            level: Level::Basic,
            rule: Rule::ExplicitLevel,
        },
        Case {
            name: "level off",
            env: &[(KEY, "phc_x"), (LEVEL, "off")],
            level: Level::Off,
            rule: Rule::ExplicitLevel,
        },
    ];
    for case in cases {
        let d = env_only(case.env).unwrap_or_else(|e| panic!("{}: {e}", case.name));
        assert_eq!(d.level, case.level, "{}", case.name);
        assert_eq!(d.rule, case.rule, "{}", case.name);
        assert_eq!(d.api_key.is_some(), d.level != Level::Off, "{}", case.name);
    }
}

#[test]
fn unparseable_values_name_the_variable_and_file() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), ".env", &[(KEY, "phc_x"), (DISABLE, "maybe")]);
    let err =
        resolve(&ConsentInputs::new(ConsentVars::default()).dotenv_dir(dir.path())).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains(DISABLE), "{msg}");
    assert!(msg.contains(".env"), "{msg}");
    assert!(!msg.contains("maybe"), "the value is never echoed: {msg}");

    let err = env_only(&[(KEY, "phc_x"), (LEVEL, "everything")]).unwrap_err();
    assert!(err.to_string().contains(LEVEL));
    assert!(err.to_string().contains("process environment"));

    let err = env_only(&[(KEY, "phc_x"), (DNT, "perhaps")]).unwrap_err();
    assert!(err.to_string().contains(DNT));
}

#[test]
fn malformed_dotenv_is_an_error_naming_the_file_not_the_content() {
    let dir = TempDir::new().unwrap();
    fs::write(
        dir.path().join(".env"),
        "NEXT_PUBLIC_POSTHOG_KEY='phc_unterminated\n",
    )
    .unwrap();
    let err =
        resolve(&ConsentInputs::new(ConsentVars::default()).dotenv_dir(dir.path())).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains(".env"), "{msg}");
    assert!(!msg.contains("phc_unterminated"), "{msg}");
}

#[test]
fn dotenv_is_parsed_not_loaded() {
    let dir = TempDir::new().unwrap();
    write(
        dir.path(),
        ".env",
        &[(KEY, "phc_from_file"), ("HUSH_TEST_PARSED_ONLY", "1")],
    );
    let d = resolve(&ConsentInputs::new(ConsentVars::default()).dotenv_dir(dir.path())).unwrap();
    assert_eq!(d.level, Level::Basic);
    assert_eq!(
        d.api_key.as_ref().map(|k| k.expose()),
        Some("phc_from_file")
    );
    assert!(std::env::var("HUSH_TEST_PARSED_ONLY").is_err());
    assert!(std::env::var(KEY).is_err());
}

/// The five sources in rising precedence. The consent file can only carry the level.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Layer {
    DotEnv,
    DotEnvLocal,
    ConsentFile,
    Environment,
    Code,
}

const LAYERS: [Layer; 5] = [
    Layer::DotEnv,
    Layer::DotEnvLocal,
    Layer::ConsentFile,
    Layer::Environment,
    Layer::Code,
];

fn build(dir: &Path, settings: &[(Layer, &str, &str)]) -> ConsentInputs {
    let mut dotenv = vec![(KEY, "phc_x")];
    let mut local = vec![];
    let mut env = vec![];
    let mut inputs = ConsentInputs::new(ConsentVars::default())
        .dotenv_dir(dir)
        .consent_file(dir.join("consent"));
    for &(layer, var, value) in settings {
        match layer {
            Layer::DotEnv => dotenv.push((var, value)),
            Layer::DotEnvLocal => local.push((var, value)),
            Layer::ConsentFile => {
                assert_eq!(var, LEVEL);
                fs::write(dir.join("consent"), format!("level={value}\n")).unwrap();
            }
            Layer::Environment => env.push((var, value)),
            Layer::Code => inputs = inputs.code_value(var, value),
        }
    }
    write(dir, ".env", &dotenv);
    write(dir, ".env.local", &local);
    inputs.environment(pairs(&env))
}

fn expected_source(layer: Layer, dir: &Path) -> Source {
    match layer {
        Layer::DotEnv => Source::DotEnv(dir.join(".env")),
        Layer::DotEnvLocal => Source::DotEnvLocal(dir.join(".env.local")),
        Layer::ConsentFile => Source::ConsentFile(dir.join("consent")),
        Layer::Environment => Source::Environment,
        Layer::Code => Source::Code,
    }
}

#[test]
fn every_precedence_pair_for_the_level() {
    for (i, &low) in LAYERS.iter().enumerate() {
        for &high in &LAYERS[i + 1..] {
            for (low_value, high_value, want) in [
                ("full", "basic", Level::Basic),
                ("basic", "full", Level::Full),
                ("full", "off", Level::Off),
            ] {
                let dir = TempDir::new().unwrap();
                let inputs = build(
                    dir.path(),
                    &[(low, LEVEL, low_value), (high, LEVEL, high_value)],
                );
                let d = resolve(&inputs).unwrap();
                assert_eq!(d.level, want, "{low:?} < {high:?}");
                assert_eq!(
                    d.source,
                    expected_source(high, dir.path()),
                    "{low:?} < {high:?}"
                );
            }
        }
    }
}

#[test]
fn every_precedence_pair_for_the_disable_flag() {
    let layers: Vec<Layer> = LAYERS
        .into_iter()
        .filter(|l| *l != Layer::ConsentFile)
        .collect();
    for (i, &low) in layers.iter().enumerate() {
        for &high in &layers[i + 1..] {
            let dir = TempDir::new().unwrap();
            let d = resolve(&build(
                dir.path(),
                &[(low, DISABLE, "true"), (high, DISABLE, "false")],
            ))
            .unwrap();
            assert_eq!(d.level, Level::Basic, "{low:?} true < {high:?} false");

            let dir = TempDir::new().unwrap();
            let d = resolve(&build(
                dir.path(),
                &[(low, DISABLE, "false"), (high, DISABLE, "yes")],
            ))
            .unwrap();
            assert_eq!(d.level, Level::Off, "{low:?} false < {high:?} yes");
            assert_eq!(d.rule, Rule::DisableFlag);
            assert_eq!(d.source, expected_source(high, dir.path()));
        }
    }
}

#[test]
fn every_precedence_pair_for_the_key() {
    let layers: Vec<Layer> = LAYERS
        .into_iter()
        .filter(|l| *l != Layer::ConsentFile)
        .collect();
    for (i, &low) in layers.iter().enumerate() {
        for &high in &layers[i + 1..] {
            let dir = TempDir::new().unwrap();
            let d = resolve(&build(
                dir.path(),
                &[(low, KEY, "phc_low"), (high, KEY, "")],
            ))
            .unwrap();
            assert_eq!(
                (d.level, d.rule),
                (Level::Off, Rule::MissingKey),
                "{low:?} < {high:?}"
            );

            let dir = TempDir::new().unwrap();
            let d = resolve(&build(
                dir.path(),
                &[(low, KEY, ""), (high, KEY, "phc_high")],
            ))
            .unwrap();
            assert_eq!(
                d.api_key.unwrap().expose(),
                "phc_high",
                "{low:?} < {high:?}"
            );
        }
    }
}

#[test]
fn code_level_cannot_override_the_off_rules() {
    for env in [
        vec![(KEY, "phc_x"), (DISABLE, "1")],
        vec![(KEY, "phc_x"), (DNT, "1")],
        vec![],
    ] {
        let d = resolve(
            &ConsentInputs::new(ConsentVars::default())
                .environment(pairs(&env))
                .code_level(Level::Full),
        )
        .unwrap();
        assert_eq!(d.level, Level::Off);
    }
}

#[test]
fn per_app_variable_names() {
    let vars = ConsentVars::for_app("Foo");
    assert_eq!(vars.disable, "FOO_DISABLE_TELEMETRY");
    let d = resolve(&ConsentInputs::new(vars.clone()).environment(pairs(&[
        ("FOO_POSTHOG_KEY", "phc_x"),
        ("FOO_DISABLE_TELEMETRY", "yes"),
        (KEY, "phc_y"),
    ])))
    .unwrap();
    assert_eq!(d.rule, Rule::DisableFlag);
    assert_eq!(d.variable.as_deref(), Some("FOO_DISABLE_TELEMETRY"));
    // The default names mean nothing to an app with its own names.
    let d = resolve(&ConsentInputs::new(vars).environment(pairs(&[(KEY, "phc_y")]))).unwrap();
    assert_eq!(d.rule, Rule::MissingKey);
}

#[test]
fn status_line_names_rule_and_source() {
    let dir = TempDir::new().unwrap();
    write(
        dir.path(),
        ".env",
        &[(KEY, "phc_secret_value"), (DISABLE, "1")],
    );
    let d = resolve(&ConsentInputs::new(ConsentVars::default()).dotenv_dir(dir.path())).unwrap();
    let line = d.to_string();
    assert!(line.contains("off"), "{line}");
    assert!(line.contains(DISABLE), "{line}");
    assert!(line.contains(".env"), "{line}");
    assert!(!format!("{d:?}").contains("phc_secret_value"));
}
