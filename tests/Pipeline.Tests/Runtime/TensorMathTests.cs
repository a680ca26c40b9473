using Pipeline.Runtime;
using Xunit;
using static TorchSharp.torch;

namespace Pipeline.Tests.Runtime;

/// <summary>TensorMath.Plus is <c>a + b</c> (values, broadcasting, dtype promotion, gradients) with a process-lived alpha.</summary>
public sealed class TensorMathTests
{
    [Fact]
    public void Plus_adds_like_the_operator_with_broadcasting_promotion_and_gradients()
    {
        using var scope = NewDisposeScope();
        var a = arange(6, ScalarType.Float32).reshape(2, 3).requires_grad_();
        var b = tensor(new[] { 10f, 20f, 30f });
        var sum = a.Plus(b);
        Assert.Equal(new float[] { 10, 21, 32, 13, 24, 35 }, sum.data<float>().ToArray());
        Assert.Equal(ScalarType.Float32, arange(3, ScalarType.BFloat16).Plus(b).dtype);   // promoted like a + b
        sum.sum().backward();
        Assert.Equal(new float[] { 1, 1, 1, 1, 1, 1 }, a.grad!.data<float>().ToArray());
        for (int i = 0; i < 1000; i++) using (var s = b.Plus(b)) { }                       // one alpha, reused
        Assert.Equal(new float[] { 20, 40, 60 }, b.Plus(b).data<float>().ToArray());
    }
}
