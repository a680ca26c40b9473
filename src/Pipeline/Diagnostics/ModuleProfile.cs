using System.Diagnostics;
using System.Text.RegularExpressions;
using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Diagnostics;

/// <summary>One row of a <see cref="ModuleProfile"/>: a kind of module, how often it ran, and its own (exclusive) time.</summary>
/// <param name="Kind">The module's class and the last named parts of its path with indices removed, e.g. <c>Linear attn1.to_q</c>.</param>
/// <param name="Calls">Forward calls over the profiled run.</param>
/// <param name="SelfSeconds">Time inside the module's forward minus the time of the modules it called.</param>
public sealed record ModuleTime(string Kind, long Calls, double SelfSeconds);

/// <summary>
/// Where a forward pass spends its time: forward pre/post hooks on every module of a tree time each call, and each
/// module's children's time is taken off its own, so the rows add up to the whole pass. CPU work is synchronous, so
/// wall time between the hooks is the module's compute; on a GPU the times are launch times unless the caller synchronises.
/// </summary>
public static class ModuleProfile
{
    /// <summary>The row for time spent outside every hooked module (the root's own forward: it is not hooked).</summary>
    public const string Outside = "(outside the root's submodules)";

    static readonly Regex Index = new(@"^\d+$", RegexOptions.Compiled);

    /// <summary>The kind a module is counted under: its class plus up to two non-numeric trailing path parts.</summary>
    public static string KindOf(string path, nn.Module module)
    {
        var parts = path.Split('.').Where(p => p.Length > 0 && !Index.IsMatch(p)).TakeLast(2);
        var tail = string.Join('.', parts);
        return tail.Length == 0 ? module.GetType().Name : $"{module.GetType().Name} {tail}";
    }

    /// <summary>Runs <paramref name="run"/> with every submodule of <paramref name="root"/> timed; rows sorted by self time.</summary>
    public static IReadOnlyList<ModuleTime> Measure(nn.Module root, Action run)
    {
        var self = new Dictionary<string, (long Calls, double Seconds)>();
        var stack = new Stack<(string Kind, long Start, double Children)>();
        var removers = new List<Action>();
        var clock = Stopwatch.StartNew();
        void Enter(string kind) => stack.Push((kind, clock.ElapsedTicks, 0));
        void Leave()
        {
            var (kind, start, children) = stack.Pop();
            double total = (clock.ElapsedTicks - start) / (double)Stopwatch.Frequency;
            self[kind] = self.TryGetValue(kind, out var v) ? (v.Calls + 1, v.Seconds + total - children) : (1, total - children);
            if (stack.Count > 0)
            {
                var parent = stack.Pop();
                stack.Push(parent with { Children = parent.Children + total });
            }
        }
        try
        {
            foreach (var (path, module) in root.named_modules())
            {
                var kind = KindOf(path, module);
                switch (module)
                {
                    case nn.Module<Tensor, Tensor> one:
                        removers.Add(one.register_forward_pre_hook((_, x) => { Enter(kind); return x; }).remove);
                        removers.Add(one.register_forward_hook((_, _, y) => { Leave(); return y; }).remove);
                        break;
                    case nn.Module<Tensor, Tensor, Tensor> two:
                        removers.Add(two.register_forward_pre_hook((_, x, c) => { Enter(kind); return (x, c); }).remove);
                        removers.Add(two.register_forward_hook((_, _, _, y) => { Leave(); return y; }).remove);
                        break;
                }
            }
            Enter(Outside);
            run();
            Leave();
        }
        finally
        {
            foreach (var remove in removers) remove();
        }
        return self.Select(kv => new ModuleTime(kv.Key, kv.Value.Calls, kv.Value.Seconds))
            .OrderByDescending(r => r.SelfSeconds).ToList();
    }
}
