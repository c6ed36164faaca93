namespace Engine.Nn;

/// <summary>Children named "0", "1", ... as torch.nn.ModuleList/Sequential do. Null entries keep index gaps
/// (a Sequential whose parameter-free layers, e.g. ReLU at index 1, own no keys).</summary>
public sealed class ModuleList<T> : Module where T : Module
{
    private readonly List<T> _items = new();

    public ModuleList(IEnumerable<T> items)
    {
        int i = 0;
        foreach (var m in items) { Add(i.ToString(System.Globalization.CultureInfo.InvariantCulture), m); _items.Add(m); i++; }
    }

    public int Count => _items.Count;
    public T this[int i] => _items[i];
    public IEnumerator<T> GetEnumerator() => _items.GetEnumerator();
}
