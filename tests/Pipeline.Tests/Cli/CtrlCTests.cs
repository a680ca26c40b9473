using System.Diagnostics;
using Xunit;
using Xunit.Abstractions;

namespace Pipeline.Tests.Cli;

/// <summary>
/// Ctrl+C on a real <c>sdxl</c> process: the first SIGINT asks the work to stop (and says so), a second ends the process
/// with exit code 130 at once, even in work that never polls for cancellation (a recipe stuck in a loop).
/// </summary>
public sealed class CtrlCTests(ITestOutputHelper log)
{
    [Fact]
    public async Task A_second_ctrl_c_ends_a_recipe_that_never_polls_with_exit_code_130()
    {
        if (!OperatingSystem.IsLinux()) return;
        var dir = Directory.CreateTempSubdirectory("cli-ctrlc").FullName;
        try
        {
            var recipe = Path.Combine(dir, "spin.csx");
            File.WriteAllText(recipe, "System.Console.Error.WriteLine(\"spinning\");\nvar n = 0L;\nwhile (true) { n++; }\n");
            var start = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true, WorkingDirectory = dir };
            foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "sdxl.dll"), "run", recipe, "--threads", "1" }) start.ArgumentList.Add(a);
            start.Environment["SDXL_RECIPE_CACHE"] = Path.Combine(dir, "cache");
            using var process = Process.Start(start)!;
            var stderr = new System.Text.StringBuilder();
            var spinning = new TaskCompletionSource();
            process.ErrorDataReceived += (_, e) =>
            {
                if (e.Data is null) return;
                lock (stderr) stderr.AppendLine(e.Data);
                if (e.Data.Contains("spinning")) spinning.TrySetResult();
            };
            process.BeginErrorReadLine();
            var stdout = process.StandardOutput.ReadToEndAsync();
            try
            {
                await spinning.Task.WaitAsync(TimeSpan.FromSeconds(120));
                Interrupt(process.Id);
                await Task.Delay(500);
                Assert.False(process.HasExited, "one Ctrl+C must only ask the recipe to stop");
                var clock = Stopwatch.StartNew();
                Interrupt(process.Id);
                await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
                log.WriteLine($"ended {clock.ElapsedMilliseconds} ms after the second Ctrl+C; rc {process.ExitCode}");
                Assert.Equal(130, process.ExitCode);
                Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"took {clock.Elapsed}");
                lock (stderr) Assert.Contains("Ctrl+C again to quit now", stderr.ToString());
            }
            finally
            {
                if (!process.HasExited) process.Kill(entireProcessTree: true);
                await stdout;
            }
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    static void Interrupt(int pid) => Assert.Equal(0, kill(pid, 2 /* SIGINT */));

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    static extern int kill(int pid, int signal);
}
