namespace Engine.Data;

/// <summary>Base of every error this library raises on bad input; the message names the file/record at fault.</summary>
public class DatasetException : Exception
{
    public DatasetException(string message) : base(message) { }
    public DatasetException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>A prepared dataset (images/, masks/, anns/*.json) does not satisfy the layout: missing files, non-binary
/// masks, image/mask size mismatch, malformed records or a prompt key that a record lacks.</summary>
public sealed class DatasetValidationException : DatasetException
{
    public DatasetValidationException(string message) : base(message) { }
}

/// <summary>A raw source folder is not laid out as its publisher distributes it; the message names what is missing
/// and the layout that was expected.</summary>
public sealed class SourceLayoutException : DatasetException
{
    public SourceLayoutException(string message) : base(message) { }
}
