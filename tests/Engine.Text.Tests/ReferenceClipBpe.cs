using System.Text;
using Engine.Text.Clip;

namespace Engine.Text.Tests;

/// <summary>
/// Naive reference of OpenAI CLIP's BPE step, written from its description: a word's UTF-8 bytes become byte
/// symbols, the last one gets "&lt;/w&gt;"; then repeatedly the adjacent pair with the lowest merge rank is merged
/// everywhere (left to right, non-overlapping) until no ranked pair remains. Used to check the library BPE.
/// </summary>
internal sealed class ReferenceClipBpe
{
    private readonly Dictionary<(string, string), int> _ranks = new();
    private readonly IReadOnlyDictionary<string, int> _vocab;
    private readonly char[] _byteSymbol = new char[256];

    public ReferenceClipBpe(ClipVocabulary vocabulary)
    {
        _vocab = vocabulary.Tokens;
        for (int i = 0; i < vocabulary.Merges.Count; i++)
        {
            var parts = vocabulary.Merges[i].Split(' ');
            _ranks[(parts[0], parts[1])] = i;
        }
        // GPT-2 byte alphabet: printable Latin-1 bytes keep their character; the others take 256, 257, ... in order.
        int next = 0;
        for (int b = 0; b < 256; b++)
        {
            bool printable = b is >= 33 and <= 126 or >= 161 and <= 172 or >= 174 and <= 255;
            _byteSymbol[b] = printable ? (char)b : (char)(256 + next++);
        }
    }

    public List<long> Encode(string cleanedText)
    {
        var ids = new List<long>();
        foreach (var piece in ClipPreTokenizer.SplitToStrings(cleanedText))
        {
            if (piece == ClipPreTokenizer.StartOfText || piece == ClipPreTokenizer.EndOfText)
            {
                ids.Add(_vocab[piece]);
                continue;
            }
            foreach (var token in Bpe(piece)) ids.Add(_vocab[token]);
        }
        return ids;
    }

    private List<string> Bpe(string piece)
    {
        var word = Encoding.UTF8.GetBytes(piece).Select(b => _byteSymbol[b].ToString()).ToList();
        word[^1] += "</w>";
        while (word.Count > 1)
        {
            (string, string)? best = null;
            int bestRank = int.MaxValue;
            for (int i = 0; i + 1 < word.Count; i++)
                if (_ranks.TryGetValue((word[i], word[i + 1]), out int r) && r < bestRank) { bestRank = r; best = (word[i], word[i + 1]); }
            if (best == null) break;
            var (first, second) = best.Value;
            var merged = new List<string>(word.Count);
            for (int i = 0; i < word.Count;)
            {
                if (i + 1 < word.Count && word[i] == first && word[i + 1] == second) { merged.Add(first + second); i += 2; }
                else merged.Add(word[i++]);
            }
            word = merged;
        }
        return word;
    }
}
