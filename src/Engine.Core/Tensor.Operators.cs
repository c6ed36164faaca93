namespace Engine;

public sealed partial class Tensor
{
    public static Tensor operator +(Tensor a, Tensor b) => Ops.Add(a, b);
    public static Tensor operator -(Tensor a, Tensor b) => Ops.Sub(a, b);
    public static Tensor operator *(Tensor a, Tensor b) => Ops.Mul(a, b);
    public static Tensor operator /(Tensor a, Tensor b) => Ops.Div(a, b);
    public static Tensor operator +(Tensor a, float s) => Ops.Add(a, s);
    public static Tensor operator +(float s, Tensor a) => Ops.Add(a, s);
    public static Tensor operator -(Tensor a, float s) => Ops.Add(a, -s);
    public static Tensor operator -(float s, Tensor a) => Ops.RSub(s, a);
    public static Tensor operator *(Tensor a, float s) => Ops.Mul(a, s);
    public static Tensor operator *(float s, Tensor a) => Ops.Mul(a, s);
    public static Tensor operator /(Tensor a, float s) => Ops.Mul(a, 1f / s);
    public static Tensor operator /(float s, Tensor a) => Ops.RDiv(s, a);
    public static Tensor operator -(Tensor a) => Ops.Neg(a);
}
