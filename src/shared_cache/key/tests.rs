//! The key rule, input by input: what must change the key and what must not. The environment is
//! a test's own (variables, working directory, a file table for the lookup); the lookup of real
//! files and processes is tested in tests/shared_cache.rs and cli/tests/cli.rs. The rule here is
//! the POSIX one, on every platform (Windows': windows_tests.rs).

use super::test_world::*;
use super::*;

/// The POSIX world: variables, a working directory, and the files a lookup finds (path →
/// canonical).
fn world() -> World {
    let mut w = World::empty(Dialect::Posix, "/home/u/projA");
    w.set("PATH", "/usr/bin:/bin");
    w.set("HOME", "/home/u");
    w.set("TERM", "xterm");
    // The same helper under two names (a virtualenv's bin/ links to it), and another.
    w.file("/opt/tools/bin/creds", "/opt/tools/bin/creds");
    w.file("/venv/bin/creds", "/opt/tools/bin/creds");
    w.file("/other/bin/creds", "/other/bin/creds");
    w.file("/usr/bin/env", "/usr/bin/env");
    w.file("/bin/sh", "/bin/dash");
    w.file("/home/u/projA/bin/creds", "/home/u/projA/bin/creds");
    w.file("/home/u/projB/bin/creds", "/home/u/projB/bin/creds");
    w.file("/home/u/bin/creds", "/home/u/bin/creds");
    w
}

fn sh(s: &str) -> Program {
    Program::Shell(s.into())
}

#[test]
fn shape_and_stability() {
    let w = world();
    let k = key(&sh("creds"), &w);
    assert_eq!(k.len(), 64);
    assert!(k
        .bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
    assert_eq!(k, key(&sh("creds"), &w));
    assert_eq!(Key::from_hex(&k).map(|k| k.0), Some(k.clone()));
    assert!(Key::from_hex(&k.to_uppercase()).is_none());
    assert!(Key::from_hex(&k[1..]).is_none());
}

#[test]
fn the_program_changes_the_key() {
    let w = world().with(|w| {
        w.set("PATH", "/opt/tools/bin:/usr/bin");
    });
    let all = [
        key(&sh("creds --a"), &w),
        key(&sh("creds --b"), &w),
        key(&sh("creds  --a"), &w),
        key(&argv(&["creds", "--a"]), &w),
        key(&argv(&["creds --a"]), &w),
        key(&argv(&["creds", "", "--a"]), &w),
        key(&argv(&["creds"]), &w),
    ];
    all_differ(&all);
    // Framing: moving bytes between argv elements changes the key.
    assert_ne!(key(&argv(&["ab", "c"]), &w), key(&argv(&["a", "bc"]), &w));
}

#[test]
fn path_matters_only_through_the_file_it_finds() {
    let proj_a = world().with(|w| {
        w.set("PATH", "/opt/tools/bin:/usr/bin");
    });
    // A virtualenv's PATH that finds the same file (through a symlink): shared.
    let venv = proj_a.with(|w| {
        w.set("PATH", "/venv/bin:/usr/bin:/bin");
    });
    // Another file: not shared.
    let other = proj_a.with(|w| {
        w.set("PATH", "/other/bin:/usr/bin");
    });
    for p in [
        argv(&["creds", "--profile", "x"]),
        sh("creds --profile x"),
        sh("'creds' --profile \"x\""),
        sh("creds --role \"$ROLE\" 2>/dev/null"),
    ] {
        same(&p, &proj_a, &venv);
        differ(&p, &proj_a, &other);
    }
    // An absolute program: PATH does not matter at all.
    for p in [
        argv(&["/opt/tools/bin/creds"]),
        sh("/opt/tools/bin/creds --x"),
    ] {
        same(&p, &proj_a, &other);
    }
    // Two paths of one file are two programs (the argv differs).
    assert_ne!(
        key(&argv(&["/venv/bin/creds"]), &proj_a),
        key(&argv(&["/opt/tools/bin/creds"]), &proj_a)
    );
}

#[test]
fn an_unknown_program_keys_on_path() {
    let a = world();
    let b = a.with(|w| {
        w.set("PATH", "/nowhere:/usr/bin:/bin");
    });
    for p in [argv(&["no-such-helper"]), sh("no-such-helper --x")] {
        differ(&p, &a, &b);
    }
}

#[test]
fn shell_syntax_before_the_first_word_keys_on_path() {
    let a = world().with(|w| {
        w.set("PATH", "/opt/tools/bin:/usr/bin");
    });
    let venv = a.with(|w| {
        w.set("PATH", "/venv/bin:/usr/bin");
    });
    for s in [
        "X=1 creds",
        "2>/dev/null creds",
        "(creds)",
        "{ creds; }",
        "if true; then creds; fi",
        "! creds",
        "exec creds",
        "command creds",
        "eval creds",
        "cd /tmp && creds",
        "; creds",
        "$HELPER",
        "cre*s",
        "",
        "env creds",
        "timeout 5 creds",
    ] {
        differ(&sh(s), &a, &venv);
    }
    // A launcher in an argv keys on PATH too.
    differ(&argv(&["env", "creds"]), &a, &venv);
    differ(&argv(&["sh", "-c", "creds"]), &a, &venv);
}

#[test]
fn the_working_directory_matters_only_for_relative_paths() {
    let proj_a = world();
    let proj_b = proj_a.with(|w| w.cwd = "/home/u/projB".into());
    for p in [
        argv(&["./bin/creds"]),
        argv(&["bin/creds"]),
        argv(&["/opt/tools/bin/creds", "--config", "conf/x.json"]),
        argv(&["/opt/tools/bin/creds", "--config=../x.json"]),
        sh("./bin/creds"),
        sh("bin/creds --x"),
        sh("/opt/tools/bin/creds --config=conf/x.json"),
        sh("/opt/tools/bin/creds \"$ROLE\" ./x"),
        sh("/opt/tools/bin/creds --dir \"$PWD\""),
        sh("/opt/tools/bin/creds $(cat role)"),
        sh("/opt/tools/bin/creds 'unterminated"),
    ] {
        differ(&p, &proj_a, &proj_b);
    }
    for p in [
        argv(&["/opt/tools/bin/creds", "--profile", "prod"]),
        argv(&[
            "/opt/tools/bin/creds",
            "--url",
            "https://sso.example.com/start",
        ]),
        argv(&["/opt/tools/bin/creds", "--config=/etc/x.json"]),
        sh("/opt/tools/bin/creds --profile prod"),
        sh("~/bin/creds --x"),
        sh("$HOME/bin/creds --x"),
        sh("\"${HOME}/bin/creds\""),
        sh("/opt/tools/bin/creds --config=$HOME/x.json"),
        sh("/opt/tools/bin/creds --url https://sso.example.com/start"),
    ] {
        same(&p, &proj_a, &proj_b);
    }
    // Two checkouts of one project: the relative program is another file.
    let a = argv(&["./bin/creds"]);
    assert_ne!(key(&a, &proj_a), key(&a, &proj_b));
}

#[test]
fn referenced_variables_change_the_key_others_do_not() {
    let w = world();
    let s = sh("/opt/tools/bin/creds --role \"$ROLE\"");
    let unset = w.clone();
    let empty = w.with(|w| {
        w.set("ROLE", "");
    });
    let readonly = w.with(|w| {
        w.set("ROLE", "readonly");
    });
    let admin = w.with(|w| {
        w.set("ROLE", "admin");
    });
    let all = [
        key(&s, &unset),
        key(&s, &empty),
        key(&s, &readonly),
        key(&s, &admin),
    ];
    all_differ(&all);
    for s in [
        "/opt/tools/bin/creds ${ROLE}",
        "/opt/tools/bin/creds ${ROLE:-admin}",
        "/opt/tools/bin/creds $(echo $ROLE)",
        "/opt/tools/bin/creds `echo $ROLE`",
    ] {
        differ(&sh(s), &readonly, &admin);
    }
    // Not referenced, or only as text: ROLE does not matter.
    for s in [
        "/opt/tools/bin/creds --role admin",
        "/opt/tools/bin/creds '$ROLE'",
        "/opt/tools/bin/creds \\$ROLE",
    ] {
        same(&sh(s), &readonly, &admin);
    }
    // An argv is not expanded: its `$ROLE` is text.
    same(&argv(&["/opt/tools/bin/creds", "$ROLE"]), &readonly, &admin);
    // ... unless a shell reads it.
    differ(
        &argv(&["/bin/sh", "-c", "/opt/tools/bin/creds --role \"$ROLE\""]),
        &readonly,
        &admin,
    );
    differ(
        &sh("sh -c '/opt/tools/bin/creds --role \"$ROLE\"'"),
        &readonly,
        &admin,
    );
}

#[test]
fn home_and_every_aws_variable_change_the_key() {
    let w = world().with(|w| {
        w.set("AWS_PROFILE", "dev");
    });
    for p in [argv(&["/opt/tools/bin/creds"]), sh("/opt/tools/bin/creds")] {
        let variants = [
            w.with(|w| {
                w.set("HOME", "/home/v");
            }),
            w.with(|w| {
                w.unset("HOME");
            }),
            w.with(|w| {
                w.set("AWS_PROFILE", "prod");
            }),
            w.with(|w| {
                w.set("AWS_PROFILE", "");
            }),
            w.with(|w| {
                w.unset("AWS_PROFILE");
            }),
            w.with(|w| {
                w.set("AWS_ROLE_ARN", "arn:aws:iam::1:role/x");
            }),
            w.with(|w| {
                w.set("AWS_REGION", "eu-west-1");
            }),
            w.with(|w| {
                w.set("AWS_VAULT", "prod");
            }),
            w.with(|w| {
                w.set("AWS_CONFIG_FILE", "/x");
            }),
            w.with(|w| {
                w.set("AWS_DEFAULT_PROFILE", "x");
            }),
            w.with(|w| {
                w.set("AWS_SHARED_CREDENTIALS_FILE", "/x");
            }),
        ];
        let mut keys = vec![key(&p, &w)];
        keys.extend(variants.iter().map(|v| key(&p, v)));
        for (i, a) in keys.iter().enumerate() {
            for b in &keys[i + 1..] {
                assert_ne!(a, b, "{p:?}");
            }
        }
    }
}

#[test]
fn what_a_terminal_or_shell_changes_does_not_matter() {
    let a = world().with(|w| {
        w.set("PATH", "/opt/tools/bin:/usr/bin");
        w.set("SHLVL", "1");
        w.set("PWD", "/home/u/projA");
        w.set("OLDPWD", "/home/u");
        w.set("_", "/usr/bin/processcreds");
        w.set("LANG", "C.UTF-8");
    });
    let b = a.with(|w| {
        w.set("PATH", "/venv/bin:/usr/bin:/bin");
        w.set("TERM", "screen-256color");
        w.set("SHLVL", "3");
        w.set("PWD", "/srv");
        w.set("OLDPWD", "/tmp");
        w.set("_", "/bin/x");
        w.set("LANG", "de_DE.UTF-8");
        w.set("SSH_AUTH_SOCK", "/tmp/agent");
        w.set("DISPLAY", ":0");
        w.set("AWSX", "not an AWS_ variable");
        w.set("ROLE", "unreferenced");
        w.cwd = "/srv".into();
    });
    for p in [
        argv(&["creds", "--profile", "prod"]),
        argv(&["/opt/tools/bin/creds"]),
        sh("creds --profile prod"),
        sh("~/bin/creds"),
        sh("/opt/tools/bin/creds --region \"$AWS_REGION\""),
    ] {
        same(&p, &a, &b);
    }
}

#[test]
fn options_and_the_callers_names_change_the_key() {
    let w = world().with(|w| {
        w.set("TOKEN_FILE", "/a");
    });
    let p = sh("/opt/tools/bin/creds");
    let base = KeyInput::new(&p);
    let names = ["TOKEN_FILE".to_string()];
    let other_names = ["OTHER".to_string()];
    let variants = [
        KeyInput {
            duration: Some(Duration::from_secs(20 * 60)),
            ..base
        },
        KeyInput {
            duration: Some(Duration::from_secs(12 * 3600)),
            ..base
        },
        KeyInput {
            max_buf_size: 16384,
            ..base
        },
        KeyInput {
            text: Some(""),
            ..base
        },
        KeyInput {
            text: Some("prod"),
            ..base
        },
        KeyInput {
            env: &names,
            ..base
        },
        KeyInput {
            env: &other_names,
            ..base
        },
    ];
    let mut keys = vec![key_in(&base, &w)];
    keys.extend(variants.iter().map(|v| key_in(v, &w)));
    for (i, a) in keys.iter().enumerate() {
        for b in &keys[i + 1..] {
            assert_ne!(a, b);
        }
    }
    // A named variable's value: unset, empty and set differ.
    let named = KeyInput {
        env: &names,
        ..base
    };
    let vals = [
        key_in(&named, &w),
        key_in(
            &named,
            &w.with(|w| {
                w.set("TOKEN_FILE", "");
            }),
        ),
        key_in(
            &named,
            &w.with(|w| {
                w.unset("TOKEN_FILE");
            }),
        ),
    ];
    assert_ne!(vals[0], vals[1]);
    assert_ne!(vals[1], vals[2]);
    assert_ne!(vals[0], vals[2]);
    // The order and repeats of the names do not matter.
    let two = ["B".to_string(), "A".to_string(), "B".to_string()];
    let sorted = ["A".to_string(), "B".to_string()];
    assert_eq!(
        key_in(&KeyInput { env: &two, ..base }, &w),
        key_in(
            &KeyInput {
                env: &sorted,
                ..base
            },
            &w
        )
    );
    // The defaults of a provider and of `processcreds cache` are the same input.
    assert_eq!(KeyInput::new(&p).max_buf_size, crate::DEFAULT_BUF_SIZE);
}

#[test]
fn a_tilde_program_is_found_with_home() {
    let a = world();
    let b = a.with(|w| {
        w.set("HOME", "/home/v");
        w.file("/home/v/bin/creds", "/home/u/bin/creds");
    });
    // HOME is in every key, so the keys differ; the file is found (PATH does not matter).
    differ(&sh("~/bin/creds"), &a, &b);
    same(
        &sh("~/bin/creds"),
        &a,
        &a.with(|w| {
            w.set("PATH", "/other/bin");
        }),
    );
}

#[test]
fn relative_path_words() {
    for (t, want) in [
        ("./bin/creds", true),
        ("../x", true),
        ("bin/creds", true),
        ("--config=conf/x", true),
        ("-f./x", true),
        ("creds", false),
        ("/abs/x", false),
        ("--config=/abs/x", false),
        ("https://x/y", false),
        ("", false),
    ] {
        assert_eq!(relative_path(t, true, false), want, "{t}");
    }
    assert!(!relative_path("$HOME/x", false, false));
    assert!(relative_path("$HOME/x", true, false), "literal text");
    assert!(relative_path("$X/bin", false, false), "unknown expansion");
    assert!(!relative_path("~/x", false, true));
}

#[cfg(unix)]
#[test]
fn simple_command_words_of_a_profile_line() {
    assert_eq!(
        simple_command_words("processcreds cache --key-env 'A B' -- granted \"x y\"").unwrap(),
        [
            "processcreds",
            "cache",
            "--key-env",
            "A B",
            "--",
            "granted",
            "x y"
        ]
    );
    for s in [
        "processcreds cache -- h $X",
        "processcreds cache -- h; rm x",
        "A=1 processcreds cache -- h",
        "processcreds cache -- h 2>/dev/null",
        "processcreds cache -- h*",
        "processcreds 'cache",
    ] {
        assert_eq!(simple_command_words(s), None, "{s}");
    }
}
