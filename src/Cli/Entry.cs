using Pipeline.Cli.Commands;
using Spectre.Console.Cli;

namespace Pipeline.Cli;

/// <summary>The <c>sdxl</c> command.</summary>
public static class Entry
{
    public static int Run(string[] args)
    {
        var app = new CommandApp();
        app.Configure(config =>
        {
            config.SetApplicationName("sdxl");
            config.SetApplicationVersion(typeof(Entry).Assembly.GetName().Version?.ToString(3) ?? "0.0.0");
            config.AddCommand<SamplersCommand>("samplers")
                .WithDescription("List the registered samplers, discretizations and other components with their origin.");
            config.AddCommand<RunCommand>("run")
                .WithDescription("Run a C# recipe (.csx); options the command does not know are passed to the recipe as Args.")
                .WithExample("run", "recipes/hello.csx", "--name", "x");
            config.AddCommand<PluginsCommand>("plugins")
                .WithDescription("List plugin folders, their load status (with reasons) and what they registered.");
        });
        return app.Run(args);
    }
}
