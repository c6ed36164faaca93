namespace Engine.Data.Converters;

/// <summary>Where converters report what they do: information, warnings (skipped files...) and progress.</summary>
public interface IConversionLog
{
    void Info(string message);
    void Warn(string message);
    void Progress(string stage, int done, int total);
}

public sealed class NullConversionLog : IConversionLog
{
    public static readonly NullConversionLog Instance = new();
    public void Info(string message) { }
    public void Warn(string message) { }
    public void Progress(string stage, int done, int total) { }
}

/// <summary>Writes lines to a TextWriter; progress at most every 10% or 2 seconds. Thread-safe.</summary>
public sealed class TextConversionLog(TextWriter output, TextWriter? warnings = null) : IConversionLog
{
    readonly object _lock = new();
    readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();
    long _lastMs = -10_000;
    int _lastTenth = -1;
    readonly List<string> _warnings = [];

    public IReadOnlyList<string> Warnings { get { lock (_lock) return _warnings.ToList(); } }

    public void Info(string message) { lock (_lock) output.WriteLine(message); }

    public void Warn(string message)
    {
        lock (_lock)
        {
            _warnings.Add(message);
            (warnings ?? output).WriteLine("warning: " + message);
        }
    }

    public void Progress(string stage, int done, int total)
    {
        lock (_lock)
        {
            int tenth = total == 0 ? 10 : (int)(10L * done / total);
            long ms = _clock.ElapsedMilliseconds;
            if (done != total && tenth == _lastTenth && ms - _lastMs < 2000) return;
            if (done == total && _lastTenth == 10) return;
            _lastTenth = tenth;
            _lastMs = ms;
            output.WriteLine($"  {stage}: {done}/{total} ({(total == 0 ? 100 : 100L * done / total)}%)");
        }
    }
}
