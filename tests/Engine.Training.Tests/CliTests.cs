using System.Text.Json.Nodes;
using Engine.Cli;
using Xunit;

namespace Engine.Training.Tests;

/// <summary>`engine train` + `engine test` (+ resume) through the command line, as a user runs them.</summary>
[Collection("training")]
public sealed class CliTests(TestWorkspace ws)
{
    private static int Engine(params string[] args) => Program.Main(args);

    [Fact]
    public void Train_resume_and_test_from_the_command_line()
    {
        var run = Path.Combine(ws.NewDir("cli"), "run");
        Assert.Equal(0, Engine("train", "--model", ws.Model, "--data", ws.Data, "--prompt", "p4", "--out", run, "--epochs", "2",
            "--batch-size", "6", "--train", "decoder,text", "--lr", "3e-3", "--stop-after", "1", "--seed", "3"));
        Assert.Single(File.ReadAllLines(Path.Combine(run, "metrics.csv")).Skip(1));
        Assert.Equal(0, Engine("train", "--resume", run));
        Assert.Equal(2, File.ReadAllLines(Path.Combine(run, "metrics.csv")).Skip(1).Count());
        Assert.Equal("decoder,text", JsonNode.Parse(File.ReadAllText(Path.Combine(run, "run.json")))!["train"]!.GetValue<string>());

        var eval = Path.Combine(ws.NewDir("cli-eval"), "eval");
        Assert.Equal(0, Engine("test", "--model", Path.Combine(run, "best"), "--data", ws.Data, "--split", "test", "--prompt", "all", "--out", eval, "--save-masks", "--threshold", "0.45"));
        var summary = JsonNode.Parse(File.ReadAllText(Path.Combine(eval, "summary.json")))!;
        var keys = summary["prompt_keys"]!.AsObject();
        Assert.True(keys.Count >= 9);
        Assert.NotNull(keys["p0"]!["skipped"]);                       // the synthetic p0 is the empty prompt
        Assert.InRange(keys["p4"]!["dice"]!["mean"]!.GetValue<double>(), 0, 1);
        Assert.Equal(0.45, summary["threshold"]!.GetValue<double>(), 6);
        Assert.Equal(1 + 6 * (keys.Count - 1), File.ReadAllLines(Path.Combine(eval, "per_image.csv")).Length);
        Assert.True(File.Exists(Path.Combine(eval, "prompt_sensitivity.csv")));
        Assert.Equal(6, Directory.GetFiles(Path.Combine(eval, "masks", "p4")).Length);
        Assert.Equal(3, Directory.GetFiles(Path.Combine(eval, "overlays", "p4")).Length);
    }

    [Fact]
    public void Bad_input_exits_non_zero()
    {
        var run = Path.Combine(ws.NewDir("cli-bad"), "run");
        Assert.Equal(1, Engine("train", "--model", Path.Combine(ws.Root, "missing"), "--data", ws.Data, "--prompt", "p4", "--out", run));
        Assert.Equal(1, Engine("train", "--model", ws.Model, "--data", ws.Data, "--prompt", "p99", "--out", run + "2", "--epochs", "1"));
        Assert.Equal(1, Engine("train", "--model", ws.Model, "--data", ws.Data, "--prompt", "p4", "--out", run + "3", "--train", "head"));
        Assert.Equal(1, Engine("train", "--resume", run + "4"));
        Assert.Equal(1, Engine("test", "--model", ws.Model, "--data", ws.Data, "--prompt", "p4", "--out", run + "5", "--split", "nope"));
    }
}
