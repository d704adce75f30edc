# Makes each key hold exactly the values above: stale values are removed.
function Write-WardenPolicy {
    $hklm = Open-Hklm64
    try {
        foreach ($path in $PolicyKeys) {
            $wanted = @($Policy | Where-Object { $_.Key -eq $path })
            $key = $hklm.CreateSubKey($path)
            try {
                foreach ($name in $key.GetValueNames()) {
                    if (@($wanted | Where-Object { $_.Name -eq $name }).Count -eq 0) {
                        $key.DeleteValue($name)
                    }
                }
                foreach ($v in $wanted) {
                    $key.SetValue($v.Name, $v.Data, [Microsoft.Win32.RegistryValueKind]$v.Kind)
                }
            } finally {
                $key.Dispose()
            }
        }
    } finally {
        $hklm.Dispose()
    }
}
