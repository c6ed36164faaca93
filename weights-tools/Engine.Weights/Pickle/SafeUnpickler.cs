using System.Buffers.Binary;
using System.Globalization;
using System.Numerics;
using System.Text;

namespace Engine.Weights.Pickle;

/// <summary>
/// A pickle virtual machine (protocols 0-5) that builds plain data and executes nothing. Globals are resolved only
/// through <see cref="PickleAllowList"/> (anything else is refused at the GLOBAL/STACK_GLOBAL opcode), REDUCE/NEWOBJ/
/// BUILD dispatch to fixed data-only handlers, persistent ids go to the supplied resolver (torch storages), and
/// opcodes a tensor checkpoint never needs (INST, OBJ, EXT*, out-of-band buffers) are refused. Every length is
/// checked against the remaining input, so corrupt data ends in <see cref="InvalidDataException"/>, never in a huge
/// allocation, a crash or a loop (each opcode consumes at least one byte).
/// </summary>
public sealed class SafeUnpickler
{
    private const int MaxLongBytes = 4096;
    private const int HighestProtocol = 5;

    private readonly string _file;
    private readonly byte[] _data;
    private readonly Func<object?, object?> _persistentLoad;
    private int _pos;
    private readonly List<object?> _stack = new();
    private readonly List<int> _marks = new();
    private readonly Dictionary<long, object?> _memo = new();
    private long _workLeft;

    /// <param name="file">Name used in error messages (the archive and record).</param>
    /// <param name="data">The pickle bytes.</param>
    /// <param name="persistentLoad">Resolves a persistent id (BINPERSID/PERSID); null refuses persistent ids.</param>
    public SafeUnpickler(string file, byte[] data, Func<object?, object?>? persistentLoad = null)
    {
        _file = file;
        _data = data;
        // Handlers copy the containers they are given (Counter(d), set(l), ...). Through the memo one container can be
        // passed again and again for a few bytes each, so their total work is bounded in proportion to the input.
        _workLeft = data.Length + 100_000L;
        _persistentLoad = persistentLoad ?? (pid => throw new InvalidDataException($"{file}: persistent id {PickleText.TypeName(pid)} found but this pickle has no storage archive."));
    }

    /// <summary>Convenience: unpickles <paramref name="data"/> (no persistent ids allowed).</summary>
    public static object? Loads(byte[] data, string file = "<pickle>") => new SafeUnpickler(file, data).Load();

    public object? Load()
    {
        while (true)
        {
            if (_pos >= _data.Length) throw Bad("the pickle ends without a STOP opcode (truncated)");
            int at = _pos;
            byte op = _data[_pos++];
            switch (op)
            {
                // ---- framing and protocol
                case 0x80: // PROTO
                {
                    int v = ReadByte();
                    if (v > HighestProtocol) throw Bad($"unsupported pickle protocol {v}");
                    break;
                }
                case 0x95: // FRAME: a length hint; the opcodes inside are read normally
                {
                    long n = (long)ReadUInt64();
                    if (n > _data.Length - _pos) throw Bad($"frame of {n} bytes reaches past the end of the pickle");
                    break;
                }
                case (byte)'.': // STOP
                    if (_stack.Count == 0) throw Bad("STOP with an empty stack");
                    if (_marks.Count != 0) throw Bad("STOP inside an unclosed MARK");
                    return _stack[^1];

                // ---- stack manipulation
                case (byte)'(': _marks.Add(_stack.Count); break; // MARK
                case (byte)'0': // POP
                    if (_marks.Count > 0 && _marks[^1] == _stack.Count) PopMark();
                    else Pop();
                    break;
                case (byte)'1': PopMark(); break; // POP_MARK
                case (byte)'2': Push(Peek()); break; // DUP

                // ---- memo
                case (byte)'p': _memo[ParseLong(ReadLine(), "PUT")] = Peek(); break;
                case (byte)'q': _memo[ReadByte()] = Peek(); break;
                case (byte)'r': _memo[ReadUInt32()] = Peek(); break;
                case 0x94: _memo[_memo.Count] = Peek(); break; // MEMOIZE
                case (byte)'g': Push(MemoGet(ParseLong(ReadLine(), "GET"))); break;
                case (byte)'h': Push(MemoGet(ReadByte())); break;
                case (byte)'j': Push(MemoGet(ReadUInt32())); break;

                // ---- constants
                case (byte)'N': Push(null); break;
                case 0x88: Push(true); break;
                case 0x89: Push(false); break;
                case (byte)'I': // INT (text); "00"/"01" are False/True in protocol 0
                {
                    string s = ReadLine();
                    if (s == "00") Push(false);
                    else if (s == "01") Push(true);
                    else Push(ParseInteger(s, "INT"));
                    break;
                }
                case (byte)'J': Push((long)ReadInt32()); break;
                case (byte)'K': Push((long)ReadByte()); break;
                case (byte)'M': Push((long)ReadUInt16()); break;
                case (byte)'L': Push(ParseInteger(ReadLine().TrimEnd('L'), "LONG")); break;
                case 0x8a: Push(ReadLong(ReadByte())); break; // LONG1
                case 0x8b: // LONG4
                {
                    int n = ReadInt32();
                    if (n < 0 || n > MaxLongBytes) throw Bad($"LONG4 of {n} bytes is out of range");
                    Push(ReadLong(n));
                    break;
                }
                case (byte)'F': Push(ParseFloat(ReadLine())); break;
                case (byte)'G': Push(BinaryPrimitives.ReadDoubleBigEndian(Take(8))); break; // BINFLOAT

                // ---- strings and bytes
                case (byte)'S': Push(DecodeUtf8(ParseQuotedString(ReadLine()))); break; // STRING
                case (byte)'T': Push(DecodeUtf8(Take(CheckedLength(ReadInt32())).ToArray())); break; // BINSTRING
                case (byte)'U': Push(DecodeUtf8(Take(ReadByte()).ToArray())); break; // SHORT_BINSTRING
                case (byte)'V': Push(DecodeRawUnicodeEscape(ReadLine())); break; // UNICODE
                case (byte)'X': Push(DecodeUtf8(Take(CheckedLength(ReadUInt32())).ToArray())); break; // BINUNICODE
                case 0x8c: Push(DecodeUtf8(Take(ReadByte()).ToArray())); break; // SHORT_BINUNICODE
                case 0x8d: Push(DecodeUtf8(Take(CheckedLength(ReadUInt64())).ToArray())); break; // BINUNICODE8
                case (byte)'B': Push(Take(CheckedLength(ReadUInt32())).ToArray()); break; // BINBYTES
                case (byte)'C': Push(Take(ReadByte()).ToArray()); break; // SHORT_BINBYTES
                case 0x8e: Push(Take(CheckedLength(ReadUInt64())).ToArray()); break; // BINBYTES8
                case 0x96: Push(Take(CheckedLength(ReadUInt64())).ToArray()); break; // BYTEARRAY8

                // ---- containers
                case (byte)')': Push(PickleTuple.Empty); break;
                case (byte)'t': Push(new PickleTuple(PopToMark().ToArray())); break;
                case 0x85: { var a = Pop(); Push(new PickleTuple(new[] { a })); break; }
                case 0x86: { var b = Pop(); var a = Pop(); Push(new PickleTuple(new[] { a, b })); break; }
                case 0x87: { var c = Pop(); var b = Pop(); var a = Pop(); Push(new PickleTuple(new[] { a, b, c })); break; }
                case (byte)']': Push(new List<object?>()); break;
                case (byte)'l': Push(PopToMark()); break;
                case (byte)'a': { var v = Pop(); AsList(Peek(), "APPEND").Add(v); break; }
                case (byte)'e': { var items = PopToMark(); AsList(Peek(), "APPENDS").AddRange(items); break; }
                case (byte)'}': Push(new PickleDict()); break;
                case (byte)'d': // DICT
                {
                    var items = PopToMark();
                    var d = new PickleDict();
                    SetItems(d, items);
                    Push(d);
                    break;
                }
                case (byte)'s': { var v = Pop(); var k = Pop(); SetItem(AsDict(Peek(), "SETITEM"), k, v); break; }
                case (byte)'u': { var items = PopToMark(); SetItems(AsDict(Peek(), "SETITEMS"), items); break; }
                case 0x8f: Push(new PickleSet()); break; // EMPTY_SET
                case 0x90: // ADDITEMS
                {
                    var items = PopToMark();
                    if (Peek() is not PickleSet set || set.Frozen) throw Bad($"ADDITEMS on {PickleText.TypeName(Peek())}");
                    set.AddRange(items);
                    break;
                }
                case 0x91: { var items = PopToMark(); var fs = new PickleSet { Frozen = true }; fs.AddRange(items); Push(fs); break; } // FROZENSET

                // ---- globals and object construction (all through the allow-list; nothing runs)
                case (byte)'c': // GLOBAL "module\nname\n"
                {
                    string module = ReadLine();
                    string name = ReadLine();
                    Push(PickleAllowList.Resolve(_file, module, name));
                    break;
                }
                case 0x93: // STACK_GLOBAL
                {
                    var name = Pop();
                    var module = Pop();
                    if (module is not string m || name is not string n) throw Bad("STACK_GLOBAL operands are not strings");
                    Push(PickleAllowList.Resolve(_file, m, n));
                    break;
                }
                case (byte)'R': // REDUCE
                {
                    var args = Pop();
                    var callee = Pop();
                    if (args is not PickleTuple t) throw Bad($"REDUCE arguments are {PickleText.TypeName(args)}, not a tuple");
                    if (callee is not PickleGlobal g) throw UnsafeCheckpoint.Refuse($"{_file}: REDUCE calls {PickleText.TypeName(callee)}, which is not an allow-listed global.");
                    ChargeWork(t);
                    Push(PickleAllowList.Call(_file, g, t));
                    break;
                }
                case 0x81: // NEWOBJ
                {
                    var args = Pop();
                    var cls = Pop();
                    if (args is not PickleTuple t) throw Bad("NEWOBJ arguments are not a tuple");
                    Push(PickleAllowList.NewObject(_file, cls, t));
                    break;
                }
                case 0x92: // NEWOBJ_EX
                {
                    var kwargs = Pop();
                    var args = Pop();
                    var cls = Pop();
                    if (args is not PickleTuple t || kwargs is not PickleDict) throw Bad("NEWOBJ_EX operands have the wrong types");
                    Push(PickleAllowList.NewObject(_file, cls, t));
                    break;
                }
                case (byte)'b': // BUILD
                {
                    var state = Pop();
                    PickleAllowList.Build(_file, Peek(), state);
                    break;
                }
                case (byte)'Q': Push(_persistentLoad(Pop())); break; // BINPERSID
                case (byte)'P': Push(_persistentLoad(ReadLine())); break; // PERSID

                case (byte)'i': // INST
                case (byte)'o': // OBJ
                    throw UnsafeCheckpoint.Refuse($"{_file}: refused to load: opcode {OpName(op)} at byte {at} instantiates a class the old way; tensor checkpoints never use it.");
                case 0x82 or 0x83 or 0x84:
                    throw UnsafeCheckpoint.Refuse($"{_file}: refused to load: opcode {OpName(op)} at byte {at} uses the copyreg extension registry, which a data-only load does not consult.");
                case 0x97 or 0x98:
                    throw UnsafeCheckpoint.Refuse($"{_file}: refused to load: opcode {OpName(op)} at byte {at} needs out-of-band buffers, which tensor checkpoints never use.");
                default:
                    throw Bad($"unknown pickle opcode 0x{op:x2} at byte {at}");
            }
        }
    }

    private void ChargeWork(PickleTuple args)
    {
        long work = 1 + args.Count;
        foreach (var a in args)
            work += a switch
            {
                PickleDict d => d.Count,
                List<object?> l => l.Count,
                PickleTuple t => t.Count,
                string s => s.Length,
                byte[] b => b.Length,
                _ => 0,
            };
        _workLeft -= work;
        if (_workLeft < 0) throw Bad("the pickle asks for far more work than its size justifies (a decompression bomb?)");
    }

    // ------------------------------------------------------------------ stack helpers

    private void Push(object? v) => _stack.Add(v);

    private object? Pop()
    {
        int floor = _marks.Count > 0 ? _marks[^1] : 0;
        if (_stack.Count <= floor) throw Bad("stack underflow (an opcode needs more operands than are on the stack)");
        var v = _stack[^1];
        _stack.RemoveAt(_stack.Count - 1);
        return v;
    }

    private object? Peek()
    {
        int floor = _marks.Count > 0 ? _marks[^1] : 0;
        if (_stack.Count <= floor) throw Bad("stack underflow (an opcode needs an operand but the stack is empty)");
        return _stack[^1];
    }

    private List<object?> PopToMark()
    {
        int m = PopMark();
        var items = _stack.GetRange(m, _stack.Count - m);
        _stack.RemoveRange(m, _stack.Count - m);
        return items;
    }

    private int PopMark()
    {
        if (_marks.Count == 0) throw Bad("an opcode needs a MARK but none is open");
        int m = _marks[^1];
        _marks.RemoveAt(_marks.Count - 1);
        return m;
    }

    private object? MemoGet(long index)
        => _memo.TryGetValue(index, out var v) ? v : throw Bad($"memo entry {index} is read before it is written");

    private List<object?> AsList(object? target, string op)
        => target as List<object?> is { } l && target is not PickleSet ? l : throw Bad($"{op} on {PickleText.TypeName(target)}, not a list");

    private PickleDict AsDict(object? target, string op)
        => target as PickleDict ?? throw Bad($"{op} on {PickleText.TypeName(target)}, not a dict");

    private void SetItems(PickleDict d, List<object?> items)
    {
        if (items.Count % 2 != 0) throw Bad("SETITEMS/DICT with an odd number of items");
        for (int i = 0; i < items.Count; i += 2) SetItem(d, items[i], items[i + 1]);
    }

    private void SetItem(PickleDict d, object? key, object? value)
    {
        try { d.Set(key, value); }
        catch (InvalidDataException e) when (!UnsafeCheckpoint.IsRefusal(e)) { throw Bad(e.Message); }
    }

    // ------------------------------------------------------------------ readers (all bounds-checked)

    private ReadOnlySpan<byte> Take(long n)
    {
        if (n < 0 || n > _data.Length - _pos) throw Bad($"a {n}-byte operand at byte {_pos} reaches past the end of the pickle (truncated)");
        var s = _data.AsSpan(_pos, (int)n);
        _pos += (int)n;
        return s;
    }

    private int ReadByte() => Take(1)[0];
    private int ReadUInt16() => BinaryPrimitives.ReadUInt16LittleEndian(Take(2));
    private int ReadInt32() => BinaryPrimitives.ReadInt32LittleEndian(Take(4));
    private long ReadUInt32() => BinaryPrimitives.ReadUInt32LittleEndian(Take(4));
    private ulong ReadUInt64() => BinaryPrimitives.ReadUInt64LittleEndian(Take(8));

    private long CheckedLength(long n)
    {
        if (n < 0 || n > _data.Length - _pos) throw Bad($"a {n}-byte string at byte {_pos} reaches past the end of the pickle (truncated)");
        return n;
    }

    private long CheckedLength(ulong n) => n > (ulong)(_data.Length - _pos) ? CheckedLength(-1) : CheckedLength((long)n);

    private string ReadLine()
    {
        int end = Array.IndexOf(_data, (byte)'\n', _pos);
        if (end < 0) throw Bad($"a text operand at byte {_pos} has no terminating newline (truncated)");
        var s = _data.AsSpan(_pos, end - _pos);
        _pos = end + 1;
        return DecodeUtf8(s.ToArray());
    }

    private object ReadLong(int n)
    {
        var b = Take(n);
        if (n == 0) return 0L;
        var v = new BigInteger(b, isUnsigned: false, isBigEndian: false);
        return v >= long.MinValue && v <= long.MaxValue ? (long)v : v;
    }

    private object ParseInteger(string s, string op)
    {
        if (s.Length > MaxLongBytes * 3) throw Bad($"{op} literal is too long");
        if (long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long l)) return l;
        if (BigInteger.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var big)) return big;
        throw Bad($"{op} literal '{Clip(s)}' is not an integer");
    }

    private long ParseLong(string s, string op)
        => long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long l) ? l : throw Bad($"{op} index '{Clip(s)}' is not an integer");

    private double ParseFloat(string s)
    {
        switch (s)
        {
            case "inf": return double.PositiveInfinity;
            case "-inf": return double.NegativeInfinity;
            case "nan": return double.NaN;
        }
        return double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) ? d : throw Bad($"FLOAT literal '{Clip(s)}' is not a number");
    }

    private string DecodeUtf8(byte[] b)
    {
        try { return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(b); }
        catch (DecoderFallbackException) { throw Bad("a string is not valid UTF-8"); }
    }

    // Protocol-0 STRING: a Python repr of a byte string ('...' or "..." with backslash escapes).
    private byte[] ParseQuotedString(string s)
    {
        if (s.Length < 2 || (s[0] != '\'' && s[0] != '"') || s[^1] != s[0]) throw Bad("STRING operand is not quoted");
        var body = s.AsSpan(1, s.Length - 2);
        var outBytes = new List<byte>(body.Length);
        for (int i = 0; i < body.Length; i++)
        {
            char c = body[i];
            if (c != '\\') { if (c > 0xFF) throw Bad("STRING operand has a non-byte character"); outBytes.Add((byte)c); continue; }
            if (++i >= body.Length) throw Bad("STRING operand ends in a backslash");
            switch (body[i])
            {
                case 'n': outBytes.Add((byte)'\n'); break;
                case 'r': outBytes.Add((byte)'\r'); break;
                case 't': outBytes.Add((byte)'\t'); break;
                case '\\': outBytes.Add((byte)'\\'); break;
                case '\'': outBytes.Add((byte)'\''); break;
                case '"': outBytes.Add((byte)'"'); break;
                case 'x':
                    if (i + 2 > body.Length - 1) throw Bad("STRING operand has a short \\x escape");
                    if (!byte.TryParse(body.Slice(i + 1, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out byte hx)) throw Bad("STRING operand has a bad \\x escape");
                    outBytes.Add(hx);
                    i += 2;
                    break;
                default: throw Bad($"STRING operand has an unsupported escape '\\{body[i]}'");
            }
        }
        return outBytes.ToArray();
    }

    // Protocol-0 UNICODE: raw-unicode-escape (latin-1 text with \uXXXX and \UXXXXXXXX escapes).
    private string DecodeRawUnicodeEscape(string s)
    {
        var sb = new StringBuilder(s.Length);
        for (int i = 0; i < s.Length; i++)
        {
            if (s[i] == '\\' && i + 1 < s.Length && (s[i + 1] == 'u' || s[i + 1] == 'U'))
            {
                int digits = s[i + 1] == 'u' ? 4 : 8;
                if (i + 2 + digits > s.Length || !int.TryParse(s.AsSpan(i + 2, digits), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out int cp)
                    || cp < 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
                    throw Bad("UNICODE operand has a bad escape");
                sb.Append(char.ConvertFromUtf32(cp));
                i += 1 + digits;
            }
            else sb.Append(s[i]);
        }
        return sb.ToString();
    }

    private static string Clip(string s) => s.Length <= 40 ? s : s[..40] + "...";

    private InvalidDataException Bad(string why) => new($"{_file}: corrupt pickle: {why}.");

    private static string OpName(byte op) => op switch
    {
        (byte)'i' => "INST", (byte)'o' => "OBJ", 0x82 => "EXT1", 0x83 => "EXT2", 0x84 => "EXT4",
        0x97 => "NEXT_BUFFER", 0x98 => "READONLY_BUFFER", _ => $"0x{op:x2}",
    };
}
