
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

# What Intune sees when the agent cannot answer: every rule but the first fails.
$hash = [ordered]@{
    WardenAgentInstalled  = $false
    WardenPolicyEvaluable = $false
    WardenPolicyId        = ''
    WardenPolicySerial    = 0
    WardenCompliant       = $false
    WardenOpenErrors      = 'agent-missing'
}

if (Test-Path -LiteralPath $Agent -PathType Leaf) {
    $hash.WardenAgentInstalled = $true
    $hash.WardenOpenErrors = 'agent-output-invalid'
    try {
        # The agent prints the values itself, one JSON object on one line; its exit code
        # (0, 1 or 2) is its verdict and is carried by WardenCompliant.
        $line = (& $Agent check --system --format intune-compliance 2>$null | Out-String).Trim()
        $values = $line | ConvertFrom-Json
        foreach ($name in @($hash.Keys)) {
            if ($null -ne $values.PSObject.Properties[$name]) {
                $hash[$name] = $values.$name
            }
        }
    } catch {
        $hash.WardenCompliant = $false
    }
}

return $hash | ConvertTo-Json -Compress
