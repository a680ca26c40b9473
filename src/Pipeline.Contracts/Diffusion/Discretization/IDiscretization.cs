namespace Pipeline.Diffusion.Discretization;

/// <summary>Turns a step count into a noise schedule (sgm <c>Discretization</c>).</summary>
public interface IDiscretization
{
    /// <summary>Descending sigmas for <paramref name="steps"/> steps; with <paramref name="appendZero"/> a final 0 follows.</summary>
    Sigmas GetSigmas(int steps, bool appendZero = true);
}
