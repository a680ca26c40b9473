using System.Diagnostics;
using Pipeline.Diagnostics;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Pipeline.Tests.Diagnostics;

/// <summary><see cref="ModuleProfile"/>: self time excludes the children's time, calls are counted, kinds drop indices.</summary>
public sealed class ModuleProfileTests
{
    sealed class Sleeper : nn.Module<Tensor, Tensor>
    {
        readonly int _ms;
        public Sleeper(int ms) : base(nameof(Sleeper)) { _ms = ms; RegisterComponents(); }
        public override Tensor forward(Tensor x) { Thread.Sleep(_ms); return x; }
    }

    sealed class Outer : nn.Module<Tensor, Tensor>
    {
        private readonly Sleeper inner = new(20);
        public Outer() : base(nameof(Outer)) => RegisterComponents();
        public override Tensor forward(Tensor x)
        {
            Thread.Sleep(30);
            return inner.call(inner.call(x));
        }
    }

    [Fact]
    public void Self_time_leaves_out_the_children_and_rows_add_up_to_at_most_the_run()
    {
        using var outer = new Outer();
        using var x = zeros(1);
        var clock = Stopwatch.StartNew();
        var rows = ModuleProfile.Measure(outer, () => outer.call(x));
        double wall = clock.Elapsed.TotalSeconds;

        var inner = Assert.Single(rows, r => r.Kind == "Sleeper inner");
        var self = Assert.Single(rows, r => r.Kind == ModuleProfile.Outside);   // the root's own forward is not hooked
        Assert.Equal(2, inner.Calls);
        Assert.Equal(1, self.Calls);
        Assert.True(inner.SelfSeconds >= 0.040, $"inner {inner.SelfSeconds}");
        Assert.True(self.SelfSeconds >= 0.030, $"outer self {self.SelfSeconds}");
        Assert.True(self.SelfSeconds < 0.030 + (wall - 0.070), $"outer self {self.SelfSeconds} includes its children (wall {wall})");
        Assert.True(rows.Sum(r => r.SelfSeconds) <= wall);
        Assert.Equal(rows.OrderByDescending(r => r.SelfSeconds).Select(r => r.Kind), rows.Select(r => r.Kind));
    }

    [Fact]
    public void Kinds_name_the_class_and_the_last_two_named_path_parts_without_indices()
    {
        using var linear = nn.Linear(2, 2);
        Assert.Equal("Linear attn1.to_q", ModuleProfile.KindOf("input_blocks.4.1.transformer_blocks.0.attn1.to_q", linear));
        Assert.Equal("Linear to_q", ModuleProfile.KindOf("7.to_q", linear));
    }
}
