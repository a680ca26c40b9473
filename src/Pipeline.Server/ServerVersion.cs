namespace Pipeline.Server;

/// <summary>The server's version as reported to clients (the assembly's informational version).</summary>
public static class ServerVersion
{
    public static string Text { get; } =
        (typeof(ServerVersion).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
            .OfType<System.Reflection.AssemblyInformationalVersionAttribute>().FirstOrDefault()?.InformationalVersion ?? "0.0.0").Split('+')[0];
}
