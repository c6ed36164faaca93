namespace Engine.Perf.OnnxPeer;

/// <summary>Command line of the ONNX Runtime peer benchmark.</summary>
internal sealed record PeerOptions
{
    public int[] Batches { get; init; } = { 1 };
    /// <summary>Timed rounds per batch size; each round runs our forward once and ONNX Runtime once.</summary>
    public int Rounds { get; init; } = 5;
    /// <summary>Untimed runs of each side before the rounds (JIT, buffer pools, ORT's first-run allocations).</summary>
    public int Warmup { get; init; } = 2;
    /// <summary>Our kernel threads and ONNX Runtime's intra-op threads.</summary>
    public int Threads { get; init; } = Environment.ProcessorCount;
    public int Seed { get; init; }
    public bool Json { get; init; }
    /// <summary>Also write the generated ONNX model here (for inspection with other tools).</summary>
    public string? OnnxPath { get; init; }
    /// <summary>After timing, profile this many forwards of each side and print where the time goes (0 = off).</summary>
    public int ProfileRuns { get; init; }

    public const string Usage =
        "usage: Engine.Perf.OnnxPeer [--batch 1,8] [--rounds N] [--warmup N] [--threads N] [--seed N] [--json] [--save-onnx PATH] [--profile N]";

    public static PeerOptions Parse(string[] args)
    {
        var o = new PeerOptions();
        for (int i = 0; i < args.Length; i++)
        {
            string a = args[i];
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{a} needs a value. {Usage}");
            int Positive(string v) => int.TryParse(v, out int n) && n >= 1 ? n : throw new ArgumentException($"{a}: '{v}' is not a positive integer.");
            o = a switch
            {
                "--batch" => o with { Batches = Value().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(Positive).ToArray() },
                "--rounds" => o with { Rounds = Positive(Value()) },
                "--warmup" => o with { Warmup = int.TryParse(Value(), out int w) && w >= 0 ? w : throw new ArgumentException($"--warmup: '{args[i]}' is not a count >= 0.") },
                "--threads" => o with { Threads = Positive(Value()) },
                "--seed" => o with { Seed = int.TryParse(Value(), out int s) ? s : throw new ArgumentException($"--seed: '{args[i]}' is not an integer.") },
                "--json" => o with { Json = true },
                "--save-onnx" => o with { OnnxPath = Value() },
                "--profile" => o with { ProfileRuns = Positive(Value()) },
                "-h" or "--help" => throw new HelpRequested(),
                _ => throw new ArgumentException($"unknown option '{a}'. {Usage}"),
            };
        }
        if (o.Batches.Length == 0) throw new ArgumentException($"--batch lists no batch size. {Usage}");
        return o;
    }

    public sealed class HelpRequested : Exception;
}
