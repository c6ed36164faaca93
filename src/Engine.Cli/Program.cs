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
            RegisterGpuBackendIfAsked(args);
            var parse = root.Parse(args);
            return parse.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return CliErrors.Report(e);
        }
    }

    /// <summary>The ILGPU backend (cuda, ilgpu-cpu) is registered only when a command asks for a non-CPU device:
    /// probing for a GPU costs start-up time that CPU runs should not pay.</summary>
    private static void RegisterGpuBackendIfAsked(string[] args)
    {
        for (int i = 0; i < args.Length; i++)
        {
            string? value = args[i] == "--device" && i + 1 < args.Length ? args[i + 1]
                : args[i].StartsWith("--device=", StringComparison.Ordinal) ? args[i]["--device=".Length..] : null;
            if (value is not null && !value.Equals("cpu", StringComparison.OrdinalIgnoreCase))
            {
                Engine.Backends.Ilgpu.IlgpuBackend.Register();
                return;
            }
        }
    }
}

/// <summary>Turns exceptions into one clear line (exit code 1); the stack trace only with ENGINE_DEBUG=1.</summary>
public static class CliErrors
{
    public static int Report(Exception e)
    {
        var inner = e;
        // Reflection and static initialisers (e.g. a bad ENGINE_CPU_KERNEL read by the GEMM's) wrap the real error.
        while (inner is TargetInvocationException or TypeInitializationException && inner.InnerException is { } ie) inner = ie;
        Console.Error.WriteLine($"error: {inner.Message}");
        if (Environment.GetEnvironmentVariable("ENGINE_DEBUG") == "1") Console.Error.WriteLine(inner);
        return 1;
    }
}
