//! The key rule on Windows ([`Dialect::Windows`]), input by input, in a test's own Windows world
//! (case-insensitive variables, a working directory, a file table for the two lookups): `cmd.exe`
//! command strings and their `%VAR%` references, `cmd.exe`'s lookup (current directory first)
//! and the runner's (`PATH` only, `PATHEXT`), relative paths with `\`, `USERPROFILE`. Pure, so
//! it runs on every platform; the real lookups and files are tested under Wine
//! (tests/windows_shared_cache.rs, tests/windows/cli-test.sh).

use super::test_world::*;
use super::*;

/// A Windows world: variables (names compared without case), a working directory, and files
/// (path without case → canonical path).
fn win() -> World {
    let mut w = World::empty(Dialect::Windows, r"C:\Users\u\work");
    w.set("Path", r"C:\tools;C:\Windows\system32");
    w.set("USERPROFILE", r"C:\Users\u");
    w.set("TERM", "xterm");
    w.file(r"C:\tools\creds.exe", r"C:\tools\creds.exe");
    // A virtualenv's Scripts folder holding a link to the same helper, and another one.
    w.file(r"C:\venv\Scripts\creds.exe", r"C:\tools\creds.exe");
    w.file(r"C:\other\creds.exe", r"C:\other\creds.exe");
    w.file(
        r"C:\Windows\system32\cmd.exe",
        r"C:\Windows\System32\cmd.exe",
    );
    w.file(r"C:\Users\u\projA\creds.bat", r"C:\Users\u\projA\creds.bat");
    w.file(r"C:\Users\u\projB\creds.bat", r"C:\Users\u\projB\creds.bat");
    w.file(r"C:\Users\u\projA\bin\h.exe", r"C:\Users\u\projA\bin\h.exe");
    w.file(r"C:\Users\u\projB\bin\h.exe", r"C:\Users\u\projB\bin\h.exe");
    w
}

fn cmd(s: &str) -> Program {
    Program::Shell(s.into())
}

#[test]
fn a_referenced_variable_separates_entries() {
    let w = win();
    let s = cmd("creds --role %ROLE%");
    let worlds = [
        w.clone(),
        w.with(|w| {
            w.set("ROLE", "");
        }),
        w.with(|w| {
            w.set("ROLE", "readonly");
        }),
        w.with(|w| {
            w.set("ROLE", "admin");
        }),
    ];
    all_differ(&worlds.iter().map(|x| key(&s, x)).collect::<Vec<_>>());
    let (readonly, admin) = (&worlds[2], &worlds[3]);
    for s in [
        "creds --role \"%ROLE%\"",
        "creds --role %role%",
        "creds --role %Role:~0,5%",
        "creds --role !ROLE!",
        "\"C:\\tools\\creds.exe\" %ROLE%",
        "powershell -Command \"creds --role $env:ROLE\"",
    ] {
        differ(&cmd(s), readonly, admin);
    }
    // Not referenced: ROLE does not matter.
    for s in ["creds --role admin", "creds --role %%", "creds 100%"] {
        same(&cmd(s), readonly, admin);
    }
    // Names are case-insensitive: %role% and %ROLE% are one reference, and one key.
    let w2 = w.with(|w| {
        w.set("role", "admin");
    });
    assert_eq!(
        key(&cmd("creds %role%"), admin),
        key(&cmd("creds %role%"), &w2)
    );
    // An argv is not expanded, unless cmd.exe or PowerShell reads it.
    same(&argv(&["creds", "%ROLE%"]), readonly, admin);
    differ(&argv(&["cmd.exe", "/c", "creds %ROLE%"]), readonly, admin);
    differ(
        &argv(&["cmd", "/d", "/s", "/c", "creds", "%ROLE%"]),
        readonly,
        admin,
    );
    differ(
        &argv(&["pwsh", "-Command", "creds $env:ROLE"]),
        readonly,
        admin,
    );
    differ(
        &argv(&["bash.exe", "-c", "creds \"$ROLE\""]),
        readonly,
        admin,
    );
}

#[test]
fn cmd_finds_the_first_word_in_the_working_directory_first() {
    // creds.bat in each project: cmd.exe runs the current directory's, so the keys differ.
    let a = win().with(|w| {
        w.set("Path", r"C:\Windows\system32");
        w.cwd = r"C:\Users\u\projA".into();
    });
    let b = a.with(|w| w.cwd = r"C:\Users\u\projB".into());
    differ(&cmd("creds --x"), &a, &b);
    // Found on PATH only (no creds in either working directory): shared.
    let c = win().with(|w| w.cwd = r"C:\Users\u\elsewhere".into());
    let d = c.with(|w| w.cwd = r"D:\work".into());
    same(&cmd("creds --x"), &c, &d);
    same(&argv(&["creds", "--x"]), &c, &d);
    // NoDefaultCurrentDirectoryInExePath is the environment's: the lookup of the world decides.
}

#[test]
fn path_matters_only_through_the_file_it_finds() {
    let a = win();
    let venv = a.with(|w| {
        w.set("PATH", r"C:\venv\Scripts;C:\Windows\system32");
    });
    let other = a.with(|w| {
        w.set("PATH", r"C:\other;C:\Windows\system32");
    });
    for p in [
        cmd("creds --profile x"),
        cmd("\"creds\" --profile x"),
        cmd("@creds --profile x"),
        cmd("creds.exe --role %ROLE% 2>nul"),
        argv(&["creds", "--profile", "x"]),
        argv(&["creds.exe"]),
    ] {
        same(&p, &a, &venv);
        differ(&p, &a, &other);
    }
    // An absolute program: PATH does not matter.
    for p in [
        cmd(r#""C:\tools\creds.exe" --x"#),
        cmd(r"C:\tools\creds.exe --x"),
        argv(&[r"C:\tools\creds.exe"]),
    ] {
        same(&p, &a, &other);
    }
    // Not found: PATH's value.
    let nowhere = a.with(|w| {
        w.set("PATH", r"C:\nowhere;C:\Windows\system32");
    });
    for p in [cmd("no-such-helper"), argv(&["no-such-helper"])] {
        differ(&p, &a, &nowhere);
    }
}

#[test]
fn internal_commands_and_syntax_before_the_first_word() {
    let a = win();
    let venv = a.with(|w| {
        w.set("PATH", r"C:\venv\Scripts;C:\Windows\system32");
    });
    // Run or change what runs: PATH's value.
    for s in [
        "call creds",
        "start /b creds",
        "cd C:\\tools && creds",
        "set X=1 & creds",
        "if 1==1 creds",
        "for %i in (a) do creds",
        "(creds)",
        ">nul creds",
        "%HELPER% --x",
        "",
        "cmd /c creds",
        "powershell -Command creds",
    ] {
        differ(&cmd(s), &a, &venv);
    }
    // echo runs nothing but cmd.exe: nothing but the string counts.
    let echo = cmd(r#"echo {"Version":1,"AccessKeyId":"A","SecretAccessKey":"S"}"#);
    same(&echo, &a, &venv);
    same(&echo, &a, &a.with(|w| w.cwd = r"D:\x".into()));
    // A quoted "echo" is a program's name, looked up.
    differ(
        &cmd("\"echo\" x"),
        &a,
        &a.with(|w| {
            w.set("PATH", r"C:\other");
        }),
    );
}

#[test]
fn the_working_directory_matters_only_for_relative_paths() {
    let a = win().with(|w| w.cwd = r"C:\Users\u\projA".into());
    let b = a.with(|w| w.cwd = r"C:\Users\u\projB".into());
    for p in [
        cmd(r"bin\h.exe"),
        cmd(r".\bin\h.exe --x"),
        cmd(r"creds --config=conf\x.json"),
        cmd("creds --config conf/x.json"),
        cmd(r"creds \x\y.json"),
        cmd("creds --dir %CD%"),
        cmd("creds\r\nx"),
        argv(&[r"bin\h.exe"]),
        argv(&[r"C:\tools\creds.exe", r"..\x.json"]),
    ] {
        differ(&p, &a, &b);
    }
    for p in [
        cmd(r"C:\tools\creds.exe /profile:prod /c"),
        cmd(r#""%USERPROFILE%\bin\creds.bat" --x"#),
        cmd(r"C:\tools\creds.exe --config=C:\etc\x.json"),
        cmd(r"C:\tools\creds.exe --share \\host\share\x"),
        cmd(r"C:\tools\creds.exe --url https://sso.example.com/start"),
        argv(&[r"C:\tools\creds.exe", "--config", r"C:\x.json"]),
    ] {
        same(&p, &a, &b);
    }
}

#[test]
fn userprofile_home_and_aws_variables_in_any_case() {
    let w = win().with(|w| {
        w.set("AWS_PROFILE", "dev");
    });
    for p in [argv(&[r"C:\tools\creds.exe"]), cmd(r"C:\tools\creds.exe")] {
        let variants = [
            w.with(|w| {
                w.set("USERPROFILE", r"C:\Users\v");
            }),
            w.with(|w| {
                w.set("HOME", r"C:\Users\u");
            }),
            w.with(|w| {
                w.set("AWS_PROFILE", "prod");
            }),
            w.with(|w| {
                w.unset("AWS_PROFILE");
            }),
            w.with(|w| {
                w.set("AWS_ROLE_ARN", "arn:aws:iam::1:role/x");
            }),
        ];
        let mut keys = vec![key(&p, &w)];
        keys.extend(variants.iter().map(|v| key(&p, v)));
        all_differ(&keys);
        // aws_profile is AWS_PROFILE.
        assert_eq!(
            key(
                &p,
                &w.with(|w| {
                    w.set("aws_profile", "prod");
                })
            ),
            key(&p, &variants[2])
        );
    }
    // What a terminal changes does not matter.
    let t = w.with(|w| {
        w.set("TERM", "other");
        w.set("PROMPT", "$P$G");
        w.set("ROLE", "unreferenced");
        w.cwd = r"D:\elsewhere".into();
    });
    same(&cmd("creds --x"), &w, &t);
}

#[test]
fn named_variables_are_case_insensitive() {
    let w = win().with(|w| {
        w.set("TOKEN_FILE", r"C:\a");
    });
    let p = cmd("creds");
    let upper = ["TOKEN_FILE".to_string()];
    let lower = ["token_file".to_string(), "Token_File".to_string()];
    let with = |names| KeyInput {
        env: names,
        ..KeyInput::new(&p)
    };
    assert_eq!(key_in(&with(&upper), &w), key_in(&with(&lower), &w));
    assert_ne!(
        key_in(&with(&upper), &w),
        key_in(
            &with(&upper),
            &w.with(|w| {
                w.set("token_file", r"C:\b");
            })
        )
    );
}

#[test]
fn not_the_posix_rule() {
    // The same world read by each rule: the keys are the platform's own.
    let w = win();
    let p = cmd("creds %ROLE%");
    assert_ne!(
        Key::with_env_as(&KeyInput::new(&p), &w, Dialect::Windows),
        Key::with_env_as(&KeyInput::new(&p), &w, Dialect::Posix)
    );
}

#[test]
fn windows_relative_path_words() {
    for (t, want) in [
        (r"bin\creds", true),
        (r".\creds.bat", true),
        (r"..\x", true),
        ("conf/x.json", true),
        (r"--config=conf\x.json", true),
        (r"\x\y", true),
        ("/a/b", true),
        ("creds", false),
        (r"C:\abs\x", false),
        ("C:/abs/x", false),
        (r"--config=C:\abs", false),
        (r"\\host\share\x", false),
        ("/c", false),
        ("/profile:prod", false),
        (r"%USERPROFILE%\x", false),
        (r"$env:USERPROFILE\x", false),
        ("https://x/y", false),
        ("", false),
    ] {
        assert_eq!(windows_relative_path(t), want, "{t}");
    }
    assert_eq!(windows_program_name(r"C:\Windows\System32\CMD.EXE"), "cmd");
    assert_eq!(windows_program_name("pwsh"), "pwsh");
    assert_eq!(windows_program_name("C:bash.exe"), "bash");
}
