<#
.SYNOPSIS
Removes the Warden agent: its scheduled tasks and %ProgramFiles%\Warden.
-Purge also deletes its state and logs (%ProgramData%\Warden: accepted serials,
last known-good bundle); without it a reinstall keeps its rollback protection.

The policy values under HKLM\SOFTWARE\Policies belong to Group Policy or Intune
and are left alone; Cortex Code's managed-settings.json stays in force until the
MDM removes it.
#>
[CmdletBinding()]
param(
    [switch]$Purge
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

if ([Environment]::Is64BitOperatingSystem -and -not [Environment]::Is64BitProcess) {
    $native = Join-Path $env:WINDIR 'sysnative\WindowsPowerShell\v1.0\powershell.exe'
    $forward = @('-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-File', $PSCommandPath)
    if ($Purge) { $forward += '-Purge' }
    & $native @forward
    exit $LASTEXITCODE
}

$principal = New-Object Security.Principal.WindowsPrincipal ([Security.Principal.WindowsIdentity]::GetCurrent())
if (-not $principal.IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator)) {
    throw 'uninstall.ps1 must run elevated (as an administrator or SYSTEM)'
}

$TaskPath = '\Warden\'
foreach ($name in @('warden-agent-system', 'warden-agent-user')) {
    $task = Get-ScheduledTask -TaskPath $TaskPath -TaskName $name -ErrorAction SilentlyContinue
    if ($null -ne $task) {
        Stop-ScheduledTask -TaskPath $TaskPath -TaskName $name
        Unregister-ScheduledTask -TaskPath $TaskPath -TaskName $name -Confirm:$false
    }
}

$InstallDir = Join-Path $env:ProgramFiles 'Warden'
if (Test-Path -LiteralPath $InstallDir) {
    Remove-Item -LiteralPath $InstallDir -Recurse -Force
}
if ($Purge) {
    $state = Join-Path $env:ProgramData 'Warden'
    if (Test-Path -LiteralPath $state) {
        Remove-Item -LiteralPath $state -Recurse -Force
    }
}
Write-Output 'Warden agent removed'
