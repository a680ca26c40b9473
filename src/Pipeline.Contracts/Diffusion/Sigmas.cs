using System.Collections;
using static TorchSharp.torch;

namespace Pipeline.Diffusion;

/// <summary>
/// A noise schedule: finite, positive, strictly decreasing float32 sigmas, optionally followed by one final 0.
/// The constructor enforces this, so an invalid schedule cannot be represented.
/// </summary>
public sealed class Sigmas : IReadOnlyList<float>
{
    readonly float[] _values;

    /// <summary>Validates and copies <paramref name="values"/>.</summary>
    /// <exception cref="ArgumentException">a value is not finite and positive (except a final 0), or the values do not strictly decrease.</exception>
    public Sigmas(IEnumerable<float> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        _values = values.ToArray();
        if (_values.Length == 0) throw new ArgumentException("a schedule needs at least one sigma");
        int positive = _values[^1] == 0f ? _values.Length - 1 : _values.Length;
        if (positive == 0) throw new ArgumentException("a schedule needs at least one positive sigma before the final 0");
        for (int i = 0; i < positive; i++)
        {
            if (!float.IsFinite(_values[i]) || _values[i] <= 0f)
                throw new ArgumentException($"sigma[{i}] = {_values[i]} is not finite and positive (only the last sigma may be 0)");
            if (i > 0 && _values[i] >= _values[i - 1])
                throw new ArgumentException($"sigmas must strictly decrease: sigma[{i - 1}] = {_values[i - 1]}, sigma[{i}] = {_values[i]}");
        }
    }

    /// <summary>Number of sigmas (steps + 1).</summary>
    public int Count => _values.Length;
    /// <summary>σ at <paramref name="index"/>.</summary>
    public float this[int index] => _values[index];
    /// <summary>Whether the last σ is 0 (the sampler ends at the denoised image).</summary>
    public bool EndsWithZero => _values[^1] == 0f;

    /// <summary>Number of sampler steps (transitions between consecutive sigmas).</summary>
    public int Steps => _values.Length - 1;

    /// <summary>This schedule with a final 0 appended (unchanged if it already ends with 0).</summary>
    public Sigmas WithFinalZero() => EndsWithZero ? this : new Sigmas(_values.Append(0f));

    /// <summary>The schedule from index <paramref name="start"/> on (e.g. a refiner handoff or img2img).</summary>
    public Sigmas From(int start) => new(_values.Skip(start));

    /// <summary>The sigmas as a new float32 tensor on <paramref name="device"/> (CPU by default).</summary>
    public Tensor ToTensor(Device? device = null) => tensor(_values, dtype: ScalarType.Float32, device: device ?? CPU);

    /// <summary>A copy of the values.</summary>
    public float[] ToArray() => (float[])_values.Clone();
    /// <summary>Enumerates σ₀ … σₙ.</summary>
    public IEnumerator<float> GetEnumerator() => ((IEnumerable<float>)_values).GetEnumerator();
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    /// <summary>The count and the first four values.</summary>
    public override string ToString() => $"Sigmas[{Count}]({string.Join(", ", _values.Take(4).Select(v => v.ToString("G6")))}{(Count > 4 ? ", …" : "")})";
}
