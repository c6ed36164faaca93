using System.CommandLine;
using System.Reflection;

namespace Engine.Cli;

public static class Program
{
    public static int Main(string[] args)
    {
        var root = new RootCommand("engine: text-prompted medical image segmentation (CLIPSeg, BiomedCLIPSeg, CRIS) in C#.");
        foreach (var t in typeof(Program).Assembly.GetTypes()
                     .Where(t => typeof(ICliCommand).IsAssignableFrom(t) && !t.IsInterface && !t.IsAbstract)
                     .OrderBy(t => t.Name, StringComparer.Ordinal))
            root.Subcommands.Add(((ICliCommand)Activator.CreateInstance(t)!).Build());
        try
        {
            var parse = root.Parse(args);
            return parse.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return CliErrors.Report(e);
        }
    }
}

/// <summary>Turns exceptions into one clear line (exit code 1); the stack trace only with ENGINE_DEBUG=1.</summary>
public static class CliErrors
{
    public static int Report(Exception e)
    {
        var inner = e is TargetInvocationException { InnerException: { } ie } ? ie : e;
        Console.Error.WriteLine($"error: {inner.Message}");
        if (Environment.GetEnvironmentVariable("ENGINE_DEBUG") == "1") Console.Error.WriteLine(inner);
        return 1;
    }
}
