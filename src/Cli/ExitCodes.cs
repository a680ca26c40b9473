namespace Pipeline.Cli;

/// <summary>
/// The one exit-code convention of every <c>sdxl</c> command (documented in the README):
/// 0 done; 1 runtime failure (the work started and failed: an unreadable checkpoint, a recipe that threw, a write
/// that failed); 2 usage error (unknown command or option, a value of the wrong form or out of range, a file that
/// does not exist; nothing was loaded or computed); 130 cancelled with Ctrl+C (nothing half-written).
/// </summary>
public static class ExitCodes
{
    public const int Ok = 0;
    public const int Failure = 1;
    public const int Usage = 2;
    public const int Cancelled = 130;
}
