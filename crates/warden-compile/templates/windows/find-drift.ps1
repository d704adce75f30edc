# Names of the values that are missing, of another type or data, or not expected.
function Get-WardenPolicyDrift {
    $drift = New-Object System.Collections.Generic.List[string]
    $hklm = Open-Hklm64
    try {
        foreach ($path in $PolicyKeys) {
            $wanted = @($Policy | Where-Object { $_.Key -eq $path })
            $key = $hklm.OpenSubKey($path)
            if ($null -eq $key) {
                foreach ($v in $wanted) { $drift.Add($v.Name) }
                continue
            }
            try {
                $present = @($key.GetValueNames())
                foreach ($v in $wanted) {
                    if (($present -notcontains $v.Name) -or
                        ($key.GetValueKind($v.Name) -ne [Microsoft.Win32.RegistryValueKind]$v.Kind) -or
                        -not ($key.GetValue($v.Name, $null, 'DoNotExpandEnvironmentNames') -ceq $v.Data)) {
                        $drift.Add($v.Name)
                    }
                }
                foreach ($name in $present) {
                    if (@($wanted | Where-Object { $_.Name -eq $name }).Count -eq 0) {
                        $drift.Add($name)
                    }
                }
            } finally {
                $key.Dispose()
            }
        }
    } finally {
        $hklm.Dispose()
    }
    return ,$drift
}
