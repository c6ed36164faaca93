namespace Engine.Weights;

/// <summary>
/// Refusals of checkpoints that ask for something a data-only loader must not do (a global outside the allow-list,
/// an old-style instantiation, out-of-band buffers). They are <see cref="InvalidDataException"/>s (that type is
/// sealed, so no subtype) whose message starts with "refused to load" after the file name, tagged in
/// <see cref="Exception.Data"/> so callers can tell a refusal from plain corruption. Raised before anything could run.
/// </summary>
public static class UnsafeCheckpoint
{
    public const string DataKey = "Engine.Weights.UnsafeCheckpoint";

    public static InvalidDataException Refuse(string message)
    {
        var e = new InvalidDataException(message);
        e.Data[DataKey] = true;
        return e;
    }

    public static bool IsRefusal(Exception e) => e is InvalidDataException && e.Data.Contains(DataKey);
}
