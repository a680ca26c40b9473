using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Pipeline.Components;
using Pipeline.Generation;
using Pipeline.Models.Bundles;
using Pipeline.Plugins.Hosting;

namespace Pipeline.Extensions;

/// <summary><c>services.AddSdxl(o => o.Checkpoint = "sd_xl_base_1.0.safetensors")</c>.</summary>
public static class SdxlServiceCollectionExtensions
{
    /// <summary>
    /// Registers, as singletons: the component registry (built-ins and plugins), the model (loaded on first use, disposed
    /// with the container), one <see cref="SdxlGenerator"/> (one run at a time) and the <see cref="IImageGenerator"/>. The
    /// options are checked here: a missing checkpoint fails now, not at the first request.
    /// </summary>
    public static IServiceCollection AddSdxl(this IServiceCollection services, Action<SdxlOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = new SdxlOptions();
        configure?.Invoke(options);
        var checkpoint = options.Checkpoint ?? EmbeddedModels.Base ?? throw new InvalidOperationException(EmbeddedModels.MissingMessage);
        if (!File.Exists(checkpoint)) throw new FileNotFoundException($"no such checkpoint: {checkpoint}", checkpoint);
        services.AddSingleton(options);
        services.AddSingleton<ComponentRegistry>(_ => options.PluginDirectories is { Count: 0 } ? ComponentRegistry.BuiltIns
            : PluginHost.LoadOnce(options.PluginDirectories is { } dirs ? new PluginHostOptions(dirs) : PluginHostOptions.Default).Registry);
        services.AddSingleton(sp => SdxlModel.Load(checkpoint, device: options.Device, dtype: options.DType, registry: sp.GetRequiredService<ComponentRegistry>()));
        services.AddSingleton<SdxlGenerator>();
        services.AddSingleton<IImageGenerator>(sp => new SdxlImageGenerator(sp.GetRequiredService<SdxlModel>(), sp.GetRequiredService<SdxlGenerator>(),
            sp.GetRequiredService<ComponentRegistry>(), options.Defaults));
        return services;
    }
}
