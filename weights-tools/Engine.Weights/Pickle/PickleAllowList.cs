using System.Numerics;
using Engine.Weights.Torch;

namespace Engine.Weights.Pickle;

/// <summary>
/// The only globals a checkpoint pickle may name, and what "calling" each one means. Nothing is imported or
/// executed: each allowed name maps to a fixed C# handler that builds plain data (a tensor description, a dict, a
/// tuple). Any other name (os.system, builtins.eval, subprocess.*, ...) is refused when the GLOBAL/STACK_GLOBAL
/// opcode names it, before anything else happens.
/// </summary>
public static class PickleAllowList
{
    internal enum Kind
    {
        RebuildTensorV2,     // torch._utils._rebuild_tensor_v2 / _rebuild_tensor
        RebuildTensorV3,     // torch._utils._rebuild_tensor_v3 (untyped storage + explicit dtype)
        RebuildParameter,    // torch._utils._rebuild_parameter(_with_state)
        RebuildFromType,     // torch._tensor._rebuild_from_type_v2(func, type, args, state)
        TensorType,          // torch.Tensor / torch.nn.parameter.Parameter (only as rebuild_from_type's type)
        Storage,             // torch.FloatStorage etc. (only inside persistent ids)
        DTypeValue,          // torch.float32 etc. (values)
        OrderedDict,         // collections.OrderedDict
        Counter,             // collections.Counter (treated as a dict)
        Set,                 // builtins.set / frozenset
        Size,                // torch.Size(tuple)
        Device,              // torch.device('cpu')
        CodecsEncode,        // _codecs.encode(str, 'latin1') -> bytes (how protocol 2 pickles bytes)
        NumpyScalar,         // numpy.core.multiarray.scalar(dtype, bytes)
        NumpyDType,          // numpy.dtype('f8', ...)
        IdentityHelper,      // torch.jit._pickle.build_* / restore_type_tag: return their first argument
        TorchScriptClass,    // __torch__.* : opaque module objects (state kept as data)
    }

    private static readonly Dictionary<string, SafetensorsDType> StorageTypes = new(StringComparer.Ordinal)
    {
        ["FloatStorage"] = SafetensorsDType.F32,
        ["HalfStorage"] = SafetensorsDType.F16,
        ["BFloat16Storage"] = SafetensorsDType.BF16,
        ["DoubleStorage"] = SafetensorsDType.F64,
        ["LongStorage"] = SafetensorsDType.I64,
        ["IntStorage"] = SafetensorsDType.I32,
        ["ShortStorage"] = SafetensorsDType.I16,
        ["CharStorage"] = SafetensorsDType.I8,
        ["ByteStorage"] = SafetensorsDType.U8,
        ["BoolStorage"] = SafetensorsDType.Bool,
    };

    private static readonly Dictionary<string, SafetensorsDType> TorchDTypes = new(StringComparer.Ordinal)
    {
        ["float32"] = SafetensorsDType.F32, ["float"] = SafetensorsDType.F32,
        ["float16"] = SafetensorsDType.F16, ["half"] = SafetensorsDType.F16,
        ["bfloat16"] = SafetensorsDType.BF16,
        ["float64"] = SafetensorsDType.F64, ["double"] = SafetensorsDType.F64,
        ["int64"] = SafetensorsDType.I64, ["long"] = SafetensorsDType.I64,
        ["int32"] = SafetensorsDType.I32, ["int"] = SafetensorsDType.I32,
        ["int16"] = SafetensorsDType.I16, ["short"] = SafetensorsDType.I16,
        ["int8"] = SafetensorsDType.I8,
        ["uint8"] = SafetensorsDType.U8,
        ["bool"] = SafetensorsDType.Bool,
    };

    private static readonly Dictionary<string, Kind> Fixed = new(StringComparer.Ordinal)
    {
        ["torch._utils._rebuild_tensor_v2"] = Kind.RebuildTensorV2,
        ["torch._utils._rebuild_tensor"] = Kind.RebuildTensorV2,
        ["torch._utils._rebuild_tensor_v3"] = Kind.RebuildTensorV3,
        ["torch._utils._rebuild_parameter"] = Kind.RebuildParameter,
        ["torch._utils._rebuild_parameter_with_state"] = Kind.RebuildParameter,
        ["torch._tensor._rebuild_from_type_v2"] = Kind.RebuildFromType,
        ["torch.Tensor"] = Kind.TensorType,
        ["torch.nn.parameter.Parameter"] = Kind.TensorType,
        ["torch.UntypedStorage"] = Kind.Storage,
        ["collections.OrderedDict"] = Kind.OrderedDict,
        ["collections.Counter"] = Kind.Counter,
        ["builtins.set"] = Kind.Set,
        ["builtins.frozenset"] = Kind.Set,
        ["torch.Size"] = Kind.Size,
        ["torch.device"] = Kind.Device,
        ["_codecs.encode"] = Kind.CodecsEncode,
        ["numpy.core.multiarray.scalar"] = Kind.NumpyScalar,
        ["numpy._core.multiarray.scalar"] = Kind.NumpyScalar,
        ["numpy.dtype"] = Kind.NumpyDType,
        ["torch.jit._pickle.build_intlist"] = Kind.IdentityHelper,
        ["torch.jit._pickle.build_floatlist"] = Kind.IdentityHelper,
        ["torch.jit._pickle.build_doublelist"] = Kind.IdentityHelper,
        ["torch.jit._pickle.build_boollist"] = Kind.IdentityHelper,
        ["torch.jit._pickle.build_tensorlist"] = Kind.IdentityHelper,
        ["torch.jit._pickle.restore_type_tag"] = Kind.IdentityHelper,
    };

    /// <summary>Names accepted by GLOBAL (for documentation and error messages).</summary>
    public static IEnumerable<string> AllowedNames =>
        Fixed.Keys
            .Concat(StorageTypes.Keys.Select(s => "torch." + s))
            .Concat(TorchDTypes.Keys.Select(s => "torch." + s))
            .Append("__torch__.* (TorchScript module classes, kept as inert objects)");

    /// <summary>Resolves a GLOBAL, or throws a refusal (<see cref="UnsafeCheckpoint"/>) naming it.</summary>
    public static PickleGlobal Resolve(string file, string module, string name)
    {
        // Python 2 spellings that protocol-2 pickles may carry.
        if (module == "__builtin__") module = "builtins";
        if (KindOf(module, name) == null)
            throw UnsafeCheckpoint.Refuse(
                $"{file}: refused to load: the pickle references the global '{module}.{name}', which is not on the allow-list of " +
                "tensor-checkpoint globals (torch rebuild functions and storages, OrderedDict, Counter, ...). Nothing was executed. " +
                "If this file is trusted, re-save it as a plain state dict or as safetensors.");
        return new PickleGlobal(module, name);
    }

    internal static Kind? KindOf(string module, string name)
    {
        string full = module + "." + name;
        if (Fixed.TryGetValue(full, out var k)) return k;
        if ((module == "torch" || module == "torch.cuda") && StorageTypes.ContainsKey(name)) return Kind.Storage;
        if (module == "torch" && TorchDTypes.ContainsKey(name)) return Kind.DTypeValue;
        if (module == "__torch__" || module.StartsWith("__torch__.", StringComparison.Ordinal)) return Kind.TorchScriptClass;
        return null;
    }

    internal static Kind KindOf(PickleGlobal g) => KindOf(g.Module, g.Name) ?? throw new InvalidOperationException(g.FullName);

    /// <summary>The element type of a storage class (null for torch.UntypedStorage).</summary>
    internal static SafetensorsDType? StorageDType(string file, object? storageType)
    {
        if (storageType is PickleGlobal g && KindOf(g) == Kind.Storage)
            return g.Name == "UntypedStorage" ? null : StorageTypes[g.Name];
        throw new InvalidDataException($"{file}: a persistent id names {PickleText.TypeName(storageType)} where a torch storage type was expected.");
    }

    internal static SafetensorsDType TorchDType(string file, object? dtype)
    {
        if (dtype is PickleGlobal g && KindOf(g) == Kind.DTypeValue) return TorchDTypes[g.Name];
        throw new InvalidDataException($"{file}: expected a torch dtype, found {PickleText.TypeName(dtype)}.");
    }

    /// <summary>REDUCE: "calls" an allow-listed global with a tuple of arguments by running its data-only handler.</summary>
    internal static object? Call(string file, PickleGlobal callee, PickleTuple args)
    {
        switch (KindOf(callee))
        {
            case Kind.RebuildTensorV2: return RebuildTensor(file, callee, args, explicitDType: false);
            case Kind.RebuildTensorV3: return RebuildTensor(file, callee, args, explicitDType: true);
            case Kind.RebuildParameter:
                NeedArgs(file, callee, args, 1, 4);
                if (args[0] is not TorchTensorRef) throw new InvalidDataException($"{file}: {callee} expects a tensor, got {PickleText.TypeName(args[0])}.");
                return args[0];
            case Kind.RebuildFromType:
            {
                NeedArgs(file, callee, args, 4, 4);
                if (args[0] is not PickleGlobal func) throw new InvalidDataException($"{file}: {callee} expects a function first, got {PickleText.TypeName(args[0])}.");
                if (args[1] is not PickleGlobal type || KindOf(type) != Kind.TensorType)
                    throw UnsafeCheckpoint.Refuse($"{file}: {callee} asks for tensor subclass {PickleText.TypeName(args[1])}; only torch.Tensor and Parameter are allowed.");
                if (args[2] is not PickleTuple inner) throw new InvalidDataException($"{file}: {callee} expects an argument tuple.");
                var k = KindOf(func);
                if (k is not (Kind.RebuildTensorV2 or Kind.RebuildTensorV3 or Kind.RebuildParameter))
                    throw UnsafeCheckpoint.Refuse($"{file}: {callee} would call {func}, which is not a tensor rebuild function.");
                return Call(file, func, inner);
            }
            case Kind.OrderedDict:
            case Kind.Counter:
            {
                var d = new PickleDict { Kind = callee.Name };
                if (args.Count == 0) return d;
                NeedArgs(file, callee, args, 1, 1);
                FillDict(file, callee, d, args[0]);
                return d;
            }
            case Kind.Set:
            {
                var s = new PickleSet { Frozen = callee.Name == "frozenset" };
                if (args.Count == 0) return s;
                NeedArgs(file, callee, args, 1, 1);
                if (args[0] is IEnumerable<object?> items and (List<object?> or PickleTuple or PickleSet)) s.AddRange(items);
                else throw new InvalidDataException($"{file}: {callee} expects a list, got {PickleText.TypeName(args[0])}.");
                return s;
            }
            case Kind.Size:
                NeedArgs(file, callee, args, 1, 1);
                if (args[0] is PickleTuple t) return t;
                if (args[0] is List<object?> l) return new PickleTuple(l.ToArray());
                throw new InvalidDataException($"{file}: torch.Size expects a tuple, got {PickleText.TypeName(args[0])}.");
            case Kind.Device:
                NeedArgs(file, callee, args, 1, 2);
                if (args[0] is not string dev) throw new InvalidDataException($"{file}: torch.device expects a string.");
                return args.Count == 2 ? $"{dev}:{args[1]}" : dev;
            case Kind.CodecsEncode:
            {
                NeedArgs(file, callee, args, 1, 2);
                if (args[0] is not string text) throw new InvalidDataException($"{file}: _codecs.encode expects a string.");
                string enc = args.Count == 2 ? args[1] as string ?? "" : "utf-8";
                return enc.ToLowerInvariant() switch
                {
                    "latin1" or "latin-1" or "iso-8859-1" => Latin1(file, text),
                    "utf-8" or "utf8" => System.Text.Encoding.UTF8.GetBytes(text),
                    _ => throw new InvalidDataException($"{file}: _codecs.encode with unsupported encoding '{enc}'."),
                };
            }
            case Kind.NumpyDType:
                NeedArgs(file, callee, args, 1, 3);
                if (args[0] is not string code) throw new InvalidDataException($"{file}: numpy.dtype expects a type code string.");
                return new PickleObject("numpy.dtype", args);
            case Kind.NumpyScalar:
                NeedArgs(file, callee, args, 1, 2);
                return NumpyScalar(file, args);
            case Kind.IdentityHelper:
                NeedArgs(file, callee, args, 1, 2);
                return args[0];
            case Kind.TorchScriptClass:
                return new PickleObject(callee.FullName, args);
            default:
                throw UnsafeCheckpoint.Refuse($"{file}: the pickle calls {callee}, which is not callable in a data-only load.");
        }
    }

    /// <summary>NEWOBJ: cls.__new__(cls, *args). Only opaque TorchScript classes and dict types can be created.</summary>
    internal static object NewObject(string file, object? cls, PickleTuple args)
    {
        if (cls is not PickleGlobal g) throw new InvalidDataException($"{file}: NEWOBJ on {PickleText.TypeName(cls)}, which is not a class.");
        return KindOf(g) switch
        {
            Kind.TorchScriptClass => new PickleObject(g.FullName, args),
            Kind.OrderedDict or Kind.Counter => new PickleDict { Kind = g.Name },
            Kind.Set => new PickleSet { Frozen = g.Name == "frozenset" },
            _ => throw UnsafeCheckpoint.Refuse($"{file}: the pickle instantiates {g}, which a data-only load does not create."),
        };
    }

    /// <summary>BUILD: sets the state of an object made above; the state is kept as data, never interpreted as code.</summary>
    internal static void Build(string file, object? target, object? state)
    {
        switch (target)
        {
            case PickleObject o: o.State = state; return;
            case PickleDict d: d.Attributes = state; return; // e.g. OrderedDict._metadata of a state dict
            case TorchTensorRef: return; // tensor __setstate__ state (requires_grad, hooks) has no data for us
            default:
                throw UnsafeCheckpoint.Refuse($"{file}: BUILD on {PickleText.TypeName(target)} is not supported in a data-only load.");
        }
    }

    private static TorchTensorRef RebuildTensor(string file, PickleGlobal callee, PickleTuple args, bool explicitDType)
    {
        // v2: (storage, storage_offset, size, stride[, requires_grad, backward_hooks[, metadata]])
        // v3: (storage, storage_offset, size, stride, requires_grad, backward_hooks, dtype[, metadata])
        NeedArgs(file, callee, args, explicitDType ? 7 : 4, 8);
        if (args[0] is not TorchStorageRef storage)
            throw new InvalidDataException($"{file}: {callee} expects a storage first, got {PickleText.TypeName(args[0])}.");
        long offset = AsLong(file, callee, args[1], "storage_offset");
        int[] shape = IntTuple(file, callee, args[2], "size").Select(v => v > int.MaxValue ? throw new InvalidDataException($"{file}: {callee}: a dimension of {v} is too large.") : (int)v).ToArray();
        long[] stride = IntTuple(file, callee, args[3], "stride");
        bool requiresGrad = args.Count > 4 && args[4] is true;
        SafetensorsDType dtype = explicitDType
            ? TorchDType(file, args[6])
            : storage.DType ?? throw new InvalidDataException($"{file}: {callee} on an untyped storage needs an explicit dtype.");
        if (storage.DType is { } sd && sd != dtype)
            throw new InvalidDataException($"{file}: {callee}: tensor dtype {dtype.Name()} differs from its storage's {sd.Name()}.");
        return new TorchTensorRef(storage, dtype, offset, shape, stride, requiresGrad);
    }

    private static void FillDict(string file, PickleGlobal callee, PickleDict d, object? source)
    {
        switch (source)
        {
            case PickleDict src:
                foreach (var kv in src) d.Set(kv.Key, kv.Value);
                break;
            case List<object?> or PickleTuple:
                foreach (var item in (IEnumerable<object?>)source)
                {
                    if (item is IReadOnlyList<object?> pair and (List<object?> or PickleTuple) && pair.Count == 2) d.Set(pair[0], pair[1]);
                    else throw new InvalidDataException($"{file}: {callee} expects (key, value) pairs, got {PickleText.TypeName(item)}.");
                }
                break;
            default:
                throw new InvalidDataException($"{file}: {callee} expects a dict or a list of pairs, got {PickleText.TypeName(source)}.");
        }
    }

    private static object NumpyScalar(string file, PickleTuple args)
    {
        if (args[0] is not PickleObject { ClassName: "numpy.dtype" } dt || dt.Args[0] is not string code)
            throw new InvalidDataException($"{file}: numpy scalar without a numpy dtype.");
        if (args.Count < 2 || args[1] is not byte[] raw) throw new InvalidDataException($"{file}: numpy scalar without its bytes.");
        // The BUILD state's second field is the byte order: '<' little, '|' not applicable, '>' big.
        if (dt.State is PickleTuple st && st.Count > 1 && st[1] is ">")
            throw new InvalidDataException($"{file}: big-endian numpy scalars are not supported.");
        string c = code.TrimStart('<', '|', '=');
        int size = c.Length == 2 && char.IsDigit(c[1]) ? c[1] - '0' : -1;
        if (size is not (1 or 2 or 4 or 8) || c[0] is not ('f' or 'i' or 'u' or 'b'))
            throw new InvalidDataException($"{file}: numpy scalar of unsupported dtype '{code}'.");
        if (raw.Length != size) throw new InvalidDataException($"{file}: numpy scalar '{code}' has {raw.Length} bytes, expected {size}.");
        return c switch
        {
            "f8" => BitConverter.ToDouble(raw),
            "f4" => (double)BitConverter.ToSingle(raw),
            "f2" => (double)BitConverter.ToHalf(raw),
            "i8" => BitConverter.ToInt64(raw),
            "i4" => (long)BitConverter.ToInt32(raw),
            "i2" => (long)BitConverter.ToInt16(raw),
            "i1" => (long)(sbyte)raw[0],
            "u8" => new BigInteger(BitConverter.ToUInt64(raw)),
            "u4" => (long)BitConverter.ToUInt32(raw),
            "u2" => (long)BitConverter.ToUInt16(raw),
            "u1" => (long)raw[0],
            "b1" => raw[0] != 0,
            _ => throw new InvalidDataException($"{file}: numpy scalar of unsupported dtype '{code}'."),
        };
    }

    private static byte[] Latin1(string file, string text)
    {
        var b = new byte[text.Length];
        for (int i = 0; i < text.Length; i++)
        {
            if (text[i] > 0xFF) throw new InvalidDataException($"{file}: _codecs.encode latin1 of a non-latin1 character.");
            b[i] = (byte)text[i];
        }
        return b;
    }

    private static void NeedArgs(string file, PickleGlobal callee, PickleTuple args, int min, int max)
    {
        if (args.Count < min || args.Count > max)
            throw new InvalidDataException($"{file}: {callee} called with {args.Count} arguments (expected {min}{(max != min ? "-" + max : "")}).");
    }

    private static long AsLong(string file, PickleGlobal callee, object? v, string what)
        => v is long l ? l : throw new InvalidDataException($"{file}: {callee}: {what} is {PickleText.TypeName(v)}, expected an int.");

    private static long[] IntTuple(string file, PickleGlobal callee, object? v, string what)
    {
        if (v is not (PickleTuple or List<object?>)) throw new InvalidDataException($"{file}: {callee}: {what} is {PickleText.TypeName(v)}, expected a tuple of ints.");
        var items = ((IEnumerable<object?>)v).ToList();
        if (items.Count > 64) throw new InvalidDataException($"{file}: {callee}: {what} has {items.Count} dimensions.");
        return items.Select(x => AsLong(file, callee, x, what)).ToArray();
    }
}
