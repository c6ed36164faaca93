using Engine.Training.Checkpoints;
using Xunit;

namespace Engine.Training.Tests;

public sealed class RunFolderTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("runfolder-").FullName;

    public void Dispose() { try { Directory.Delete(_root, true); } catch (IOException) { } }

    private static void Fill(string dir, string content)
    {
        File.WriteAllText(Path.Combine(dir, "model.safetensors"), content);
        TrainerStateFile.Write(dir, new TrainerState { EpochsCompleted = content.Length });
    }

    [Fact]
    public void A_failure_while_writing_leaves_the_previous_checkpoint_intact()
    {
        var run = new RunFolder(_root);
        run.WriteCheckpoint(RunFolder.Best, d => Fill(d, "v1"));
        Assert.Throws<IOException>(() => run.WriteCheckpoint(RunFolder.Best, d =>
        {
            File.WriteAllText(Path.Combine(d, "model.safetensors"), "half of v2");
            throw new IOException("disk full");
        }));
        Assert.Equal("v1", File.ReadAllText(Path.Combine(run.BestDir, "model.safetensors")));
        Assert.True(RunFolder.IsComplete(run.BestDir));
        Assert.Empty(Directory.EnumerateDirectories(_root, ".*"));
        // A checkpoint whose writer forgot the state file is refused as incomplete.
        Assert.Throws<InvalidOperationException>(() => run.WriteCheckpoint(RunFolder.Best, d => File.WriteAllText(Path.Combine(d, "x"), "")));
        Assert.Equal("v1", File.ReadAllText(Path.Combine(run.BestDir, "model.safetensors")));
    }

    [Fact]
    public void Writing_replaces_the_checkpoint_completely()
    {
        var run = new RunFolder(_root);
        run.WriteCheckpoint(RunFolder.Last, d => { Fill(d, "v1"); File.WriteAllText(Path.Combine(d, "stale.txt"), "x"); });
        run.WriteCheckpoint(RunFolder.Last, d => Fill(d, "v22"));
        Assert.Equal("v22", File.ReadAllText(Path.Combine(run.LastDir, "model.safetensors")));
        Assert.False(File.Exists(Path.Combine(run.LastDir, "stale.txt")));
        Assert.Equal(3, TrainerStateFile.Read(run.LastDir).EpochsCompleted);
        Assert.Empty(Directory.EnumerateDirectories(_root, ".*"));
    }

    [Fact]
    public void Recover_puts_back_a_checkpoint_moved_aside_by_a_killed_write_and_removes_leftovers()
    {
        var run = new RunFolder(_root);
        run.WriteCheckpoint(RunFolder.Best, d => Fill(d, "v1"));
        // Killed between "rename best aside" and "rename the new one into place": best/ is missing.
        Directory.Move(run.BestDir, Path.Combine(_root, ".best.old-1234"));
        var tmp = Directory.CreateDirectory(Path.Combine(_root, ".best.tmp-5678")).FullName;
        Fill(tmp, "v2");
        var half = Directory.CreateDirectory(Path.Combine(_root, ".last.tmp-9")).FullName;
        File.WriteAllText(Path.Combine(half, "model.safetensors"), "partial");

        var notes = run.Recover();
        Assert.Equal("v1", File.ReadAllText(Path.Combine(run.BestDir, "model.safetensors")));
        Assert.Empty(Directory.EnumerateDirectories(_root, ".*"));
        Assert.Contains(notes, n => n.Contains("restored best/"));
        Assert.Empty(run.Recover());
    }

    [Fact]
    public void Trainer_state_round_trips_exactly_including_infinities()
    {
        var state = new TrainerState
        {
            EpochsCompleted = 3, GlobalStep = 123456789012, LearningRate = 0.1 + 0.2, BestScore = 1.0 / 3, BestEpoch = 1,
            PlateauState = new[] { double.PositiveInfinity, 2, 0 },
            History = { new EpochRecord(0, Math.PI, null, 0.25, 1e-300, 3e-4, 1.5, 12.25, true) },
        };
        TrainerStateFile.Write(_root, state);
        var back = TrainerStateFile.Read(_root);
        Assert.Equal(state.LearningRate, back.LearningRate);
        Assert.Equal(state.BestScore, back.BestScore);
        Assert.Equal(state.GlobalStep, back.GlobalStep);
        Assert.Equal(state.PlateauState, back.PlateauState);
        Assert.Equal(state.History, back.History);
        File.WriteAllText(Path.Combine(_root, TrainerStateFile.FileName), "{ not json");
        var e = Assert.Throws<InvalidDataException>(() => TrainerStateFile.Read(_root));
        Assert.Contains(TrainerStateFile.FileName, e.Message);
    }
}
