using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SidecarInjector.Patch;

/// <summary>
/// Writes the RFC 6902 patch that turns one JSON tree into another, straight into a buffer.
/// Every op is valid where it is applied in sequence (array adds ascending, removes descending;
/// a missing map or list is added whole at its parent), so the apiserver's evanphx/json-patch
/// applies it as is. Istio gets the same effect from gomodules.xyz/jsonpatch's CreatePatch.
/// </summary>
internal sealed class JsonPatchWriter
{
    private readonly JsonPointer _pointer = new();
    private Utf8JsonWriter _writer = null!;

    /// <summary>Number of ops written by the last <see cref="WriteDiff"/>.</summary>
    public int OperationCount { get; private set; }

    public void WriteDiff(JsonNode original, JsonNode modified, Utf8JsonWriter writer)
    {
        _writer = writer;
        _pointer.Reset();
        OperationCount = 0;
        writer.WriteStartArray();
        Diff(original, modified);
        writer.WriteEndArray();
        writer.Flush();
        _writer = null!;
    }

    private void Diff(JsonNode? from, JsonNode? to)
    {
        switch (from, to)
        {
            case (JsonObject a, JsonObject b):
                DiffObjects(a, b);
                break;
            case (JsonArray a, JsonArray b):
                DiffArrays(a, b);
                break;
            default:
                if (!JsonTreeEquality.Equal(from, to))
                {
                    WriteOp("replace"u8, to);
                }
                break;
        }
    }

    private void DiffObjects(JsonObject from, JsonObject to)
    {
        for (int iFrom = 0; iFrom < from.Count; iFrom++)
        {
            // By index: foreach would box the object's enumerator, once per object per pod.
            var (key, value) = from.GetAt(iFrom);
            if (!to.ContainsKey(key))
            {
                int mark = _pointer.Push(key);
                WriteRemove();
                _pointer.Pop(mark);
            }
            else
            {
                var target = to[key];
                if (!ReferenceEquals(value, target))
                {
                    int mark = _pointer.Push(key);
                    Diff(value, target);
                    _pointer.Pop(mark);
                }
            }
        }
        for (int iTo = 0; iTo < to.Count; iTo++)
        {
            // By index: foreach would box the object's enumerator, once per object per pod.
            var (key, value) = to.GetAt(iTo);
            if (!from.ContainsKey(key))
            {
                int mark = _pointer.Push(key);
                WriteOp("add"u8, value);
                _pointer.Pop(mark);
            }
        }
    }

    private void DiffArrays(JsonArray from, JsonArray to)
    {
        // Unchanged lists (a container's 2,000 env vars) are the common case: no ops, and when the
        // list is still raw JSON on both sides, one comparison of raw JSON without reading items.
        if (JsonTreeEquality.Equal(from, to))
        {
            return;
        }
        var matched = ArrayPool<bool>.Shared.Rent(Math.Max(from.Count, to.Count));
        try
        {
            if (MatchInOrder(from, to, matched))
            {
                // Only insertions (the common case: containers, volumes appended or prepended).
                for (int j = 0; j < to.Count; j++)
                {
                    if (!matched[j])
                    {
                        int mark = _pointer.Push(j);
                        WriteOp("add"u8, to[j]);
                        _pointer.Pop(mark);
                    }
                }
                return;
            }
            if (MatchInOrder(to, from, matched))
            {
                // Only deletions: remove from the back so earlier indexes stay valid.
                for (int i = from.Count - 1; i >= 0; i--)
                {
                    if (!matched[i])
                    {
                        int mark = _pointer.Push(i);
                        WriteRemove();
                        _pointer.Pop(mark);
                    }
                }
                return;
            }
        }
        finally
        {
            ArrayPool<bool>.Shared.Return(matched);
        }
        // Anything else: position by position, then the tail.
        int common = Math.Min(from.Count, to.Count);
        for (int k = 0; k < common; k++)
        {
            int mark = _pointer.Push(k);
            Diff(from[k], to[k]);
            _pointer.Pop(mark);
        }
        for (int k = common; k < to.Count; k++)
        {
            int mark = _pointer.Push(k);
            WriteOp("add"u8, to[k]);
            _pointer.Pop(mark);
        }
        for (int k = from.Count - 1; k >= common; k--)
        {
            int mark = _pointer.Push(k);
            WriteRemove();
            _pointer.Pop(mark);
        }
    }

    /// <summary>
    /// True when every item of <paramref name="small"/> appears in <paramref name="large"/> in order
    /// (greedy, first match wins); <paramref name="matchedInLarge"/> then marks the items of
    /// <paramref name="large"/> that were matched, so the caller need not compare them again.
    /// </summary>
    private static bool MatchInOrder(JsonArray small, JsonArray large, bool[] matchedInLarge)
    {
        if (small.Count > large.Count)
        {
            return false;
        }
        int i = 0;
        for (int j = 0; j < large.Count; j++)
        {
            matchedInLarge[j] = i < small.Count && JsonTreeEquality.Equal(small[i], large[j]);
            if (matchedInLarge[j])
            {
                i++;
            }
        }
        return i == small.Count;
    }

    private void WriteOp(ReadOnlySpan<byte> op, JsonNode? value)
    {
        _writer.WriteStartObject();
        _writer.WriteString("op"u8, op);
        _writer.WriteString("path"u8, _pointer.Current);
        _writer.WritePropertyName("value"u8);
        if (value is null)
        {
            _writer.WriteNullValue();
        }
        else
        {
            value.WriteTo(_writer);
        }
        _writer.WriteEndObject();
        OperationCount++;
    }

    private void WriteRemove()
    {
        _writer.WriteStartObject();
        _writer.WriteString("op"u8, "remove"u8);
        _writer.WriteString("path"u8, _pointer.Current);
        _writer.WriteEndObject();
        OperationCount++;
    }
}
