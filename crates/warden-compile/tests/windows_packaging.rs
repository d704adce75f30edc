//! The Windows agent package in `packaging/windows/`: scheduled-task XML read by
//! Python's XML parser, and the install scripts' invariants.

use std::path::PathBuf;

const TASKS: [(&str, &str); 2] = [
    ("warden-agent-system", "tasks/warden-agent-system.xml"),
    ("warden-agent-user", "tasks/warden-agent-user.xml"),
];

fn packaging() -> PathBuf {
    warden_testkit::repo_root().join("packaging/windows")
}

/// Parses each task file (the parser refuses a declaration that does not match
/// the bytes) and prints what Task Scheduler would run, as JSON.
const TASK_SCRIPT: &str = r#"
import json, re, sys
import xml.etree.ElementTree as ET
ns = {'t': 'http://schemas.microsoft.com/windows/2004/02/mit/task'}
out = {}
for path in sys.argv[1:]:
    raw = open(path, 'rb').read()
    if raw.startswith(b'\xff\xfe'):
        head = raw[2:].decode('utf-16-le')[:100]
    else:
        head = raw.decode('utf-8')[:100]
    m = re.match(r'<\?xml version="1.0" encoding="([^"]+)"\?>', head)
    root = ET.fromstring(raw)
    def text(xpath):
        el = root.find(xpath, ns)
        return None if el is None else el.text
    principal = root.find('t:Principals/t:Principal', ns)
    out[path] = {
        'encoding': m.group(1) if m else None,
        'bom': raw[:2] == b'\xff\xfe',
        'root': root.tag,
        'version': root.get('version'),
        'uri': text('t:RegistrationInfo/t:URI'),
        'triggers': [t.tag.split('}')[1] for t in root.find('t:Triggers', ns)],
        'interval': text('t:Triggers/t:TimeTrigger/t:Repetition/t:Interval'),
        'logon_user': text('t:Triggers/t:LogonTrigger/t:UserId'),
        'principal_id': principal.get('id'),
        'user': text('t:Principals/t:Principal/t:UserId'),
        'group': text('t:Principals/t:Principal/t:GroupId'),
        'run_level': text('t:Principals/t:Principal/t:RunLevel'),
        'context': root.find('t:Actions', ns).get('Context'),
        'command': text('t:Actions/t:Exec/t:Command'),
        'arguments': text('t:Actions/t:Exec/t:Arguments'),
    }
print(json.dumps(out))
"#;

#[test]
fn task_xml_is_well_formed_and_runs_the_agent_in_each_mode() {
    let Some(python) = warden_testkit::require_python_module("xml.etree.ElementTree") else {
        return;
    };
    let files: Vec<PathBuf> = TASKS.iter().map(|(_, f)| packaging().join(f)).collect();
    let report: serde_json::Value =
        serde_json::from_str(&warden_testkit::run_python(&python, TASK_SCRIPT, &files)).unwrap();
    let task = |i: usize| &report[files[i].to_str().unwrap()];

    for (i, (name, _)) in TASKS.iter().enumerate() {
        let t = task(i);
        assert_eq!(t["encoding"], "UTF-8", "{name}: declared encoding");
        assert_eq!(t["bom"], false, "{name}: UTF-8 without BOM");
        assert_eq!(
            t["root"],
            "{http://schemas.microsoft.com/windows/2004/02/mit/task}Task"
        );
        assert_eq!(t["version"], "1.2");
        assert_eq!(t["uri"], format!("\\Warden\\{name}"));
        // The logon task runs the windowless build, so no console flashes at logon.
        let exe = if *name == "warden-agent-user" {
            "warden-agentw.exe"
        } else {
            "warden-agent.exe"
        };
        assert_eq!(t["command"], format!(r"%ProgramFiles%\Warden\{exe}"));
        assert_eq!(
            t["context"], t["principal_id"],
            "{name}: action runs as its principal"
        );
    }

    let system = task(0);
    assert_eq!(
        system["triggers"],
        serde_json::json!(["BootTrigger", "TimeTrigger"])
    );
    assert_eq!(system["interval"], "PT4H");
    assert_eq!(system["user"], "S-1-5-18", "SYSTEM");
    assert_eq!(system["arguments"], "enforce --system");

    let user = task(1);
    assert_eq!(user["triggers"], serde_json::json!(["LogonTrigger"]));
    assert!(user["logon_user"].is_null(), "any user's logon");
    assert!(user["user"].is_null());
    assert_eq!(user["group"], "S-1-5-32-545", "BUILTIN\\Users");
    assert_eq!(user["run_level"], "LeastPrivilege");
    assert_eq!(user["arguments"], "enforce --user");
}

fn script(name: &str) -> String {
    let bytes = std::fs::read(packaging().join(name)).unwrap();
    assert!(
        bytes.iter().all(|b| b.is_ascii()),
        "{name}: ASCII, read alike as UTF-8 and ANSI"
    );
    String::from_utf8(bytes).unwrap()
}

fn assert_strict_64_bit(name: &str, text: &str) {
    for needle in [
        "Set-StrictMode -Version Latest",
        "$ErrorActionPreference = 'Stop'",
        r"'sysnative\WindowsPowerShell\v1.0\powershell.exe'",
        "IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator)",
    ] {
        assert!(text.contains(needle), "{name} lacks {needle}");
    }
}

#[test]
fn install_places_the_agent_sets_the_acl_and_registers_both_tasks() {
    let text = script("install.ps1");
    assert_strict_64_bit("install.ps1", &text);
    for needle in [
        "Join-Path $env:ProgramFiles 'Warden'",
        "'warden-agent.exe'",
        "'warden-agentw.exe'",
        "Copy-Item -LiteralPath $WindowlessAgentPath -Destination (Join-Path $InstallDir 'warden-agentw.exe') -Force",
        "-WindowlessAgentPath $WindowlessAgentPath",
        "'trust-root.json'",
        // SYSTEM and Administrators full control, Users read and execute, not inherited.
        "@{ Sid = $System; Rights = 'FullControl' }",
        "@{ Sid = $Admins; Rights = 'FullControl' }",
        "@{ Sid = $Users; Rights = 'ReadAndExecute' }",
        "'S-1-5-18'",
        "'S-1-5-32-544'",
        "'S-1-5-32-545'",
        "$acl.SetAccessRuleProtection($true, $false)",
        "Set-Acl -LiteralPath $InstallDir -AclObject $acl",
        "Register-ScheduledTask -TaskPath $TaskPath -TaskName $task.Name -Xml $xml -Force",
    ] {
        assert!(text.contains(needle), "install.ps1 lacks {needle}");
    }
    assert!(
        text.find("Set-Acl").unwrap() < text.find("Copy-Item").unwrap(),
        "the ACL is in place before files are copied in"
    );
    for (name, file) in TASKS {
        let file_name = file.rsplit('/').next().unwrap();
        assert!(
            text.contains(&format!("@{{ Name = '{name}'; File = '{file_name}' }}")),
            "install.ps1 registers {name}"
        );
        assert!(packaging().join(file).is_file());
    }
}

#[test]
fn uninstall_removes_both_tasks_and_the_program() {
    let text = script("uninstall.ps1");
    assert_strict_64_bit("uninstall.ps1", &text);
    assert!(text.contains("@('warden-agent-system', 'warden-agent-user')"));
    assert!(
        text.contains(
            "Unregister-ScheduledTask -TaskPath $TaskPath -TaskName $name -Confirm:$false"
        )
    );
    assert!(text.contains("Remove-Item -LiteralPath $InstallDir -Recurse -Force"));
    assert!(text.contains("if ($Purge)"));
}

#[test]
fn install_creates_the_state_folder_for_system_and_administrators_only() {
    let text = script("install.ps1");
    for needle in [
        "$StateDir = Join-Path $DataDir 'state'",
        "$DataDir = Join-Path $env:ProgramData 'Warden'",
        // A folder a user created first, or a link, is removed (the link itself only).
        "-not ($owner.Equals($System) -or $owner.Equals($Admins))",
        "[IO.Directory]::Delete($dir, $false)",
        "$stateAcl.SetOwner($Admins)",
        "$stateAcl.SetAccessRuleProtection($true, $false)",
        // Users may list the folder, and nothing inherits that.
        "-ArgumentList $Users, $list, $thisFolder, $none, 'Allow'",
        "Set-Acl -LiteralPath $dir -AclObject $stateAcl",
    ] {
        assert!(text.contains(needle), "install.ps1 lacks {needle}");
    }
    assert!(
        !text.contains("-ArgumentList $Users, $full"),
        "users never get full control of the state"
    );
}
