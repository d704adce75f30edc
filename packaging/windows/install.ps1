<#
.SYNOPSIS
Installs the Warden agent: the program (warden-agent.exe, and warden-agentw.exe,
the same program without a console window) and its trust root under
%ProgramFiles%\Warden (SYSTEM and Administrators full control, Users read and
execute, nothing inherited), its state folder %ProgramData%\Warden\state
(SYSTEM and Administrators only), and two scheduled tasks:

  \Warden\warden-agent-system  SYSTEM, at startup and every 4 hours: warden-agent enforce --system
  \Warden\warden-agent-user    each user at logon, least privilege:   warden-agentw enforce --user
                               (no console window flashes in the user's session)

Run elevated (an Intune Win32 app runs it as SYSTEM). Running it again upgrades
in place. The policy itself is not installed here: it arrives through Group
Policy or Intune (see the compiled windows/README.md).
#>
[CmdletBinding()]
param(
    # The agent executable to install.
    [string]$AgentPath = (Join-Path $PSScriptRoot 'warden-agent.exe'),
    # The same agent built without a console window, run by the logon task.
    [string]$WindowlessAgentPath = (Join-Path $PSScriptRoot 'warden-agentw.exe'),
    # The trust root the agent pins.
    [string]$TrustRoot = (Join-Path $PSScriptRoot 'trust-root.json')
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

# A 32-bit PowerShell would install under Program Files (x86): start again in the 64-bit one.
if ([Environment]::Is64BitOperatingSystem -and -not [Environment]::Is64BitProcess) {
    $native = Join-Path $env:WINDIR 'sysnative\WindowsPowerShell\v1.0\powershell.exe'
    & $native -NoProfile -NonInteractive -ExecutionPolicy Bypass -File $PSCommandPath -AgentPath $AgentPath -WindowlessAgentPath $WindowlessAgentPath -TrustRoot $TrustRoot
    exit $LASTEXITCODE
}

$principal = New-Object Security.Principal.WindowsPrincipal ([Security.Principal.WindowsIdentity]::GetCurrent())
if (-not $principal.IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator)) {
    throw 'install.ps1 must run elevated (as an administrator or SYSTEM)'
}
foreach ($file in @($AgentPath, $WindowlessAgentPath, $TrustRoot)) {
    if (-not (Test-Path -LiteralPath $file -PathType Leaf)) {
        throw "missing $file"
    }
}

$TaskPath = '\Warden\'
$Tasks = @(
    @{ Name = 'warden-agent-system'; File = 'warden-agent-system.xml' }
    @{ Name = 'warden-agent-user'; File = 'warden-agent-user.xml' }
)
$InstallDir = Join-Path $env:ProgramFiles 'Warden'

# Well-known SIDs, so that the script works on every display language.
$System = New-Object Security.Principal.SecurityIdentifier 'S-1-5-18'
$Admins = New-Object Security.Principal.SecurityIdentifier 'S-1-5-32-544'
$Users = New-Object Security.Principal.SecurityIdentifier 'S-1-5-32-545'

# An upgrade replaces a program that a running task may hold open.
foreach ($task in $Tasks) {
    $existing = Get-ScheduledTask -TaskPath $TaskPath -TaskName $task.Name -ErrorAction SilentlyContinue
    if ($null -ne $existing) {
        Stop-ScheduledTask -TaskPath $TaskPath -TaskName $task.Name
    }
}

# The folder's ACL is set before anything is copied in, so every file inherits it.
New-Item -ItemType Directory -Path $InstallDir -Force | Out-Null
$acl = New-Object Security.AccessControl.DirectorySecurity
$acl.SetOwner($Admins)
$acl.SetAccessRuleProtection($true, $false)
$inherit = [Security.AccessControl.InheritanceFlags]'ContainerInherit, ObjectInherit'
$none = [Security.AccessControl.PropagationFlags]::None
$rules = @(
    @{ Sid = $System; Rights = 'FullControl' }
    @{ Sid = $Admins; Rights = 'FullControl' }
    @{ Sid = $Users; Rights = 'ReadAndExecute' }
)
foreach ($rule in $rules) {
    $rights = [Security.AccessControl.FileSystemRights]$rule.Rights
    $acl.AddAccessRule((New-Object Security.AccessControl.FileSystemAccessRule -ArgumentList $rule.Sid, $rights, $inherit, $none, 'Allow'))
}
Set-Acl -LiteralPath $InstallDir -AclObject $acl

Copy-Item -LiteralPath $AgentPath -Destination (Join-Path $InstallDir 'warden-agent.exe') -Force
Copy-Item -LiteralPath $WindowlessAgentPath -Destination (Join-Path $InstallDir 'warden-agentw.exe') -Force
Copy-Item -LiteralPath $TrustRoot -Destination (Join-Path $InstallDir 'trust-root.json') -Force
$uninstaller = Join-Path $PSScriptRoot 'uninstall.ps1'
if (Test-Path -LiteralPath $uninstaller -PathType Leaf) {
    Copy-Item -LiteralPath $uninstaller -Destination (Join-Path $InstallDir 'uninstall.ps1') -Force
}

# The agent's state folder: SYSTEM and Administrators full control, Users may list
# the folder itself and open nothing in it (so no user can hold the run lock),
# owner Administrators, nothing inherited. Standard users may create folders under
# %ProgramData%, so a folder found here that SYSTEM or Administrators do not own, or
# a link, is removed first: the agent must never start from a state a user wrote.
# warden-agent enforce re-applies this ACL on every run.
$DataDir = Join-Path $env:ProgramData 'Warden'
$StateDir = Join-Path $DataDir 'state'
foreach ($dir in @($DataDir, $StateDir)) {
    if (Test-Path -LiteralPath $dir) {
        $item = Get-Item -LiteralPath $dir -Force
        $owner = (Get-Acl -LiteralPath $dir).GetOwner([Security.Principal.SecurityIdentifier])
        if ($item.Attributes -band [IO.FileAttributes]::ReparsePoint) {
            # Deletes the link itself, never what it points to.
            [IO.Directory]::Delete($dir, $false)
        } elseif (-not ($owner.Equals($System) -or $owner.Equals($Admins))) {
            Remove-Item -LiteralPath $dir -Recurse -Force
        }
    }
    New-Item -ItemType Directory -Path $dir -Force | Out-Null
    $stateAcl = New-Object Security.AccessControl.DirectorySecurity
    $stateAcl.SetOwner($Admins)
    $stateAcl.SetAccessRuleProtection($true, $false)
    $full = [Security.AccessControl.FileSystemRights]'FullControl'
    foreach ($sid in @($System, $Admins)) {
        $stateAcl.AddAccessRule((New-Object Security.AccessControl.FileSystemAccessRule -ArgumentList $sid, $full, $inherit, $none, 'Allow'))
    }
    $list = [Security.AccessControl.FileSystemRights]'ReadAndExecute'
    $thisFolder = [Security.AccessControl.InheritanceFlags]::None
    $stateAcl.AddAccessRule((New-Object Security.AccessControl.FileSystemAccessRule -ArgumentList $Users, $list, $thisFolder, $none, 'Allow'))
    Set-Acl -LiteralPath $dir -AclObject $stateAcl
}

# The task files are UTF-8 with a matching declaration (what schtasks /XML reads);
# -Xml takes text, so the declaration is dropped.
foreach ($task in $Tasks) {
    $file = Join-Path (Join-Path $PSScriptRoot 'tasks') $task.File
    $xml = [IO.File]::ReadAllText($file, [Text.Encoding]::UTF8) -replace '^\s*<\?xml[^>]*\?>\s*', ''
    Register-ScheduledTask -TaskPath $TaskPath -TaskName $task.Name -Xml $xml -Force | Out-Null
}

Start-ScheduledTask -TaskPath $TaskPath -TaskName 'warden-agent-system'
Write-Output "Warden agent installed in $InstallDir"
