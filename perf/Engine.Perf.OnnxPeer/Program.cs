using System.Text.Json;
using Engine.Perf.OnnxPeer;

// ViT-B/16 forward: our engine against ONNX Runtime on the same model, weights, input and machine (issue 3).
// Progress goes to stderr; results (text lines, or JSON lines with --json) to stdout. Exit code 1 when the two
// sides' outputs disagree, 2 on bad arguments.
PeerOptions options;
try { options = PeerOptions.Parse(args); }
catch (PeerOptions.HelpRequested) { Console.WriteLine(PeerOptions.Usage); return 0; }
catch (ArgumentException e) { Console.Error.WriteLine(e.Message); return 2; }

var bench = new OnnxPeerBenchmark(options, m => Console.Error.WriteLine(m));
var json = new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
try
{
    foreach (var r in bench.Run())
    {
        if (options.Json) Console.WriteLine(JsonSerializer.Serialize(r, json));
        else { Console.WriteLine(r.Line()); Console.WriteLine(r.PeakLine()); }
    }
}
catch (OutputMismatchException e) { Console.Error.WriteLine("FAILED: " + e.Message); return 1; }
return 0;
