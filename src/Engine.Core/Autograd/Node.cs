namespace Engine.Autograd;

/// <summary>
/// One recorded op: its differentiable inputs and a function mapping the output gradient to one gradient per input
/// (null where an input needs none). Backward functions run with recording disabled, so they may use any op.
/// </summary>
public sealed class Node
{
    public Node(string name, Tensor[] inputs, Func<Tensor, Tensor?[]> backward)
    {
        Name = name; Inputs = inputs; Backward = backward;
    }

    public string Name { get; }
    public Tensor[] Inputs { get; }
    public Func<Tensor, Tensor?[]> Backward { get; }
}
