using System.Text.Json;

namespace Pipeline.Server.Http;

/// <summary>
/// Reads typed fields of one JSON object body, collecting every problem (FastAPI's 422 "detail" list: location, message,
/// type) instead of stopping at the first. null means the field's default, as A1111's optional fields do. Fields never
/// read are reported by <see cref="Finish"/> as unknown, so a misspelt name is an error, not a silently ignored setting.
/// </summary>
public sealed class JsonFields
{
    readonly JsonElement _body;
    readonly HashSet<string> _read = new(StringComparer.Ordinal);
    readonly List<FieldError> _errors = new();

    public JsonFields(JsonElement body)
    {
        _body = body;
        if (body.ValueKind != JsonValueKind.Object) _errors.Add(new("", $"the body must be a JSON object, got {Kind(body)}", "type_error.dict"));
    }

    public IReadOnlyList<FieldError> Errors => _errors;

    public void Fail(string field, string message, string type = "value_error") => _errors.Add(new(field, message, type));

    bool TryGet(string name, out JsonElement value)
    {
        _read.Add(name);
        value = default;
        return _body.ValueKind == JsonValueKind.Object && _body.TryGetProperty(name, out value) && value.ValueKind != JsonValueKind.Null;
    }

    public bool Has(string name) { _read.Add(name); return TryGet(name, out _); }

    public string? String(string name, string? fallback = null)
    {
        if (!TryGet(name, out var v)) return fallback;
        if (v.ValueKind == JsonValueKind.String) return v.GetString();
        Fail(name, $"must be a string, got {Kind(v)}", "type_error.str");
        return fallback;
    }

    public long Integer(string name, long fallback, long min = long.MinValue, long max = long.MaxValue)
    {
        if (!TryGet(name, out var v)) return fallback;
        if (v.ValueKind != JsonValueKind.Number) { Fail(name, $"must be an integer, got {Kind(v)}", "type_error.integer"); return fallback; }
        long n;
        if (v.TryGetInt64(out var i)) n = i;
        else if (v.TryGetDouble(out var d) && Math.Floor(d) == d && d >= long.MinValue && d <= long.MaxValue) n = (long)d;
        else { Fail(name, $"must be an integer, got {v.GetRawText()}", "type_error.integer"); return fallback; }
        if (n < min || n > max) { Fail(name, $"must be in {min}..{max}, got {n}", "value_error.number.not_in_range"); return fallback; }
        return n;
    }

    public double Number(string name, double fallback, double min = double.MinValue, double max = double.MaxValue)
    {
        if (!TryGet(name, out var v)) return fallback;
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetDouble(out var d) || !double.IsFinite(d)) { Fail(name, $"must be a finite number, got {Kind(v)}", "type_error.float"); return fallback; }
        if (d < min || d > max) { Fail(name, $"must be in {min}..{max}, got {d}", "value_error.number.not_in_range"); return fallback; }
        return d;
    }

    public double? OptionalNumber(string name, double min = double.MinValue, double max = double.MaxValue) =>
        Has(name) ? Number(name, double.NaN, min, max) is var d && double.IsNaN(d) ? null : d : null;

    public bool Boolean(string name, bool fallback)
    {
        if (!TryGet(name, out var v)) return fallback;
        if (v.ValueKind is JsonValueKind.True or JsonValueKind.False) return v.GetBoolean();
        Fail(name, $"must be true or false, got {Kind(v)}", "type_error.bool");
        return fallback;
    }

    public IReadOnlyList<string> Strings(string name)
    {
        if (!TryGet(name, out var v)) return Array.Empty<string>();
        if (v.ValueKind != JsonValueKind.Array) { Fail(name, $"must be a list of strings, got {Kind(v)}", "type_error.list"); return Array.Empty<string>(); }
        var list = new List<string>();
        int i = 0;
        foreach (var e in v.EnumerateArray())
        {
            if (e.ValueKind == JsonValueKind.String) list.Add(e.GetString()!);
            else Fail($"{name}.{i}", $"must be a string, got {Kind(e)}", "type_error.str");
            i++;
        }
        return list;
    }

    /// <summary>The field's raw value (objects and lists a caller inspects itself), or null.</summary>
    public JsonElement? Raw(string name) => TryGet(name, out var v) ? v : null;

    /// <summary>Reports fields that were never read as unknown; returns the errors.</summary>
    public IReadOnlyList<FieldError> Finish()
    {
        if (_body.ValueKind == JsonValueKind.Object)
            foreach (var p in _body.EnumerateObject())
                if (!_read.Contains(p.Name)) Fail(p.Name, "unknown field (see /openapi/v1.json for the fields this route takes)", "value_error.extra");
        return _errors;
    }

    static string Kind(JsonElement v) => v.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "a list",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => "null",
    };
}

/// <summary>One problem with a request field (FastAPI's shape: loc = ["body", field], msg, type).</summary>
public sealed record FieldError(string Field, string Message, string Type);

/// <summary>Fields that cannot be used: answered 422 with every problem.</summary>
public sealed class RequestValidationException(IReadOnlyList<FieldError> errors)
    : Exception(string.Join("; ", errors.Select(e => $"{e.Field}: {e.Message}")))
{
    public IReadOnlyList<FieldError> Errors { get; } = errors;
}
