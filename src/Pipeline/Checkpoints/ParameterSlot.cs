using TorchSharp.Modules;

namespace Pipeline.Checkpoints;

/// <summary>
/// The one way a module's parameter property replaces its parameter (what lets a meta-built model be materialised in
/// place): dispose the old tensor, take the new one out of any dispose scope, and register it under the state-dict name.
/// </summary>
public static class ParameterSlot
{
    /// <param name="register">The owning module's <c>ConditionallyRegisterParameter(name, p)</c> (it is protected).</param>
    public static Parameter Replace(Parameter old, Parameter value, Action<Parameter> register)
    {
        if (ReferenceEquals(old, value)) return old;
        old.Dispose();
        var p = (Parameter)value.DetachFromDisposeScope();
        register(p);
        return p;
    }
}
