namespace Pipeline.Cli;

public static class Entry
{
    public static int Run(string[] args)
    {
        if (args is ["--version"]) { Console.WriteLine(typeof(Entry).Assembly.GetName().Version); return 0; }
        Console.Error.WriteLine("usage: sdxl --version | samplers");
        return 2;
    }
}
