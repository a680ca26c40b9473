using Pipeline.Models.Vae;
using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Training;

/// <summary>
/// Trains a small network to stand in for half of a frozen VAE (distillation): for each batch the VAE — or, with a
/// teacher dtype, a copy of it in that dtype (<see cref="Teacher"/>; e.g. bfloat16 on a CPU with native bf16: 3× faster
/// pairs) — gives the pair (input, target) of <see cref="Pair"/>, in float32; the student learns target from input, loss
/// mean |s − t| + mean (s − t)².
/// </summary>
public abstract class VaeDistillationTrainer : Trainer
{
    readonly AutoencoderKL? _teacherCopy;

    /// <summary>The frozen VAE distilled from (float32).</summary>
    public AutoencoderKL Vae { get; }

    /// <summary>The VAE that makes the pairs: <see cref="Vae"/>, or its copy in the teacher dtype.</summary>
    public AutoencoderKL Teacher => _teacherCopy ?? Vae;

    protected nn.Module<Tensor, Tensor> Student { get; }

    /// <param name="studentLatentChannels">the latent channels the student takes or makes (must be the VAE's)</param>
    /// <param name="role">"decoder" or "encoder", for the error message</param>
    /// <param name="teacherDType">the dtype the pairs are computed in (null: the VAE's own)</param>
    protected VaeDistillationTrainer(AutoencoderKL vae, nn.Module<Tensor, Tensor> student, int studentLatentChannels, string role,
        ITrainingData data, TrainingSettings settings, ScalarType? teacherDType = null) : base(settings, data)
    {
        Vae = vae ?? throw new ArgumentNullException(nameof(vae));
        Student = student ?? throw new ArgumentNullException(nameof(student));
        if (studentLatentChannels != vae.Config.EmbedDim)
            throw new ArgumentException($"the {role} has {studentLatentChannels} latent channels, the VAE {vae.Config.EmbedDim}");
        if (teacherDType is { } dtype && dtype != vae.ComputeDType) _teacherCopy = FrozenCopy.Of(vae, dtype);
        foreach (var p in student.parameters()) p.requires_grad = true;
        Initialize(student.named_parameters().Select(np => (np.name, np.parameter)).ToList());
    }

    /// <summary>The student's input and target for VAE-space images <paramref name="x"/> in [-1, 1] (no gradient), from
    /// <see cref="Teacher"/>; returned in its dtype, converted to float32 by the caller.</summary>
    protected abstract (Tensor Input, Tensor Target) Pair(Tensor x);

    protected override IEnumerable<(string Prefix, nn.Module Module)> StateModules => new (string, nn.Module)[] { ("", Student) };

    protected override IEnumerable<(string Name, Func<Tensor> Get, Action<Tensor> Set)> Generators => Array.Empty<(string, Func<Tensor>, Action<Tensor>)>();

    protected override Tensor Loss(TrainingBatch batch)
    {
        Tensor input, target;
        using (no_grad())
        {
            var (i, t) = Pair(batch.Images.to(ScalarType.Float32, Vae.parameters().First().device));
            (input, target) = (i.to(ScalarType.Float32), t.to(ScalarType.Float32));   // the same tensors for a float32 teacher
        }
        var diff = Student.call(input) - target;
        return diff.abs().mean() + diff.square().mean();
    }

    public override void Dispose()
    {
        base.Dispose();
        _teacherCopy?.Dispose();
    }
}
