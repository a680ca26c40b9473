namespace Pipeline.Diagnostics;

/// <summary>Resident memory of this process (Linux /proc; elsewhere the working set, and peak = current).</summary>
public static class ProcessMemory
{
    /// <summary>Current resident set size in bytes.</summary>
    public static long Resident() => Read("VmRSS:") ?? Environment.WorkingSet;

    /// <summary>Peak resident set size in bytes since the process started.</summary>
    public static long PeakResident() => Read("VmHWM:") ?? Environment.WorkingSet;

    static long? Read(string field)
    {
        const string status = "/proc/self/status";
        if (!File.Exists(status)) return null;
        foreach (var line in File.ReadLines(status))
            if (line.StartsWith(field, StringComparison.Ordinal))
                return long.Parse(line[field.Length..].Trim().Split(' ')[0]) * 1024;
        return null;
    }
}
