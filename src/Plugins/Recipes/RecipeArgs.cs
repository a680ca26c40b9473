using System.Collections.Immutable;

namespace Pipeline.Plugins.Recipes;

/// <summary>
/// The <c>--key value</c> pairs a recipe was started with, read with the type the recipe expects:
/// <c>Args.Get("steps", 20)</c>, <c>Args.Require&lt;string&gt;("prompt")</c>. Keys are case-insensitive and given
/// without dashes. Errors name the key, the expected type and every key that was given.
/// </summary>
public sealed record RecipeArgs
{
    readonly ImmutableSortedDictionary<string, string> _values;
    readonly ImmutableDictionary<string, string> _hostOptions;

    RecipeArgs(ImmutableSortedDictionary<string, string> values, ImmutableDictionary<string, string>? hostOptions = null)
    {
        _values = values;
        _hostOptions = hostOptions ?? ImmutableDictionary.Create<string, string>(StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>
    /// A copy that knows the host's own options (name → how a recipe reads it instead, e.g. <c>out</c> →
    /// <c>Output.Folder</c>): the host takes those words from the command line, so a recipe asking for one that it was
    /// not given (after a lone <c>--</c>) gets an error naming the right way, not its fallback in silence.
    /// </summary>
    public RecipeArgs WithHostOptions(IReadOnlyDictionary<string, string> optionHints)
    {
        ArgumentNullException.ThrowIfNull(optionHints);
        return new RecipeArgs(_values, optionHints.ToImmutableDictionary(kv => Normalize(kv.Key), kv => kv.Value, StringComparer.OrdinalIgnoreCase));
    }

    void CheckNotHostOption(string key)
    {
        if (!_values.ContainsKey(key) && _hostOptions.TryGetValue(key, out var hint))
            throw new RecipeArgumentException($"--{key} is the host's own option, so a recipe never receives it: read it as {hint} (or pass the recipe its own --{key} after a lone --){GivenSuffix(this)}");
    }

    public static RecipeArgs Empty { get; } =
        new(ImmutableSortedDictionary.Create<string, string>(StringComparer.OrdinalIgnoreCase));

    /// <summary>
    /// Parses <c>--key value</c>, <c>--key=value</c> and bare <c>--flag</c> (= "true"). A value may start with a
    /// single dash (<c>--shift -1</c>); a lone <c>--</c> is skipped. Positional words and repeated keys are errors.
    /// </summary>
    public static RecipeArgs Parse(IEnumerable<string> tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        var list = tokens.ToList();
        var args = Empty;
        for (var i = 0; i < list.Count; i++)
        {
            var token = list[i];
            if (token == "--") continue;
            if (!IsKeyToken(token))
                throw new RecipeArgumentException($"expected --key value, got '{token}'{GivenSuffix(args)}");
            var body = token[2..];
            var eq = body.IndexOf('=');
            var (key, value) = eq >= 0
                ? (body[..eq], body[(eq + 1)..])
                : i + 1 < list.Count && !IsKeyToken(list[i + 1]) && list[i + 1] != "--"
                    ? (body, list[++i])
                    : (body, "true");
            args = args.With(key, value);
        }
        return args;
    }

    /// <summary>Builds arguments from key/value pairs (keys without dashes).</summary>
    public static RecipeArgs From(IEnumerable<KeyValuePair<string, string>> pairs)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        return pairs.Aggregate(Empty, (args, p) => args.With(p.Key, p.Value));
    }

    static bool IsKeyToken(string token) => token.Length > 2 && token.StartsWith("--", StringComparison.Ordinal);

    /// <summary>A copy with <paramref name="key"/> set; a key given twice is an error.</summary>
    public RecipeArgs With(string key, string value)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        var k = key.Trim().TrimStart('-');
        if (k.Length == 0 || k.Any(char.IsWhiteSpace))
            throw new RecipeArgumentException($"invalid argument name '{key}'{GivenSuffix(this)}");
        if (_values.ContainsKey(k)) throw new RecipeArgumentException($"argument --{k} given twice{GivenSuffix(this)}");
        return new RecipeArgs(_values.Add(k, value), _hostOptions);
    }

    /// <summary>The keys given, sorted.</summary>
    public IReadOnlyList<string> Keys => _values.Keys.ToList();

    public bool Has(string key) => _values.ContainsKey(Normalize(key));

    /// <summary>The raw text of <paramref name="key"/>, or null when not given.</summary>
    public string? Raw(string key) => _values.TryGetValue(Normalize(key), out var v) ? v : null;

    /// <summary><paramref name="key"/> as <typeparamref name="T"/>, or <paramref name="fallback"/> when not given.</summary>
    public T Get<T>(string key, T fallback)
    {
        ArgConversion.Describe(typeof(T));
        CheckNotHostOption(Normalize(key));
        return _values.TryGetValue(Normalize(key), out var text) ? Convert<T>(Normalize(key), text) : fallback;
    }

    /// <summary><paramref name="key"/> as <typeparamref name="T"/>; throws when it was not given.</summary>
    public T Require<T>(string key)
    {
        var type = ArgConversion.Describe(typeof(T));
        CheckNotHostOption(Normalize(key));
        return _values.TryGetValue(Normalize(key), out var text)
            ? Convert<T>(Normalize(key), text)
            : throw new RecipeArgumentException($"missing required argument --{Normalize(key)} ({type}){GivenSuffix(this)}");
    }

    T Convert<T>(string key, string text) =>
        ArgConversion.TryConvert(typeof(T), text, out var value)
            ? (T)value!
            : throw new RecipeArgumentException(
                $"argument --{key}: '{text}' is not a valid {ArgConversion.Describe(typeof(T))}{GivenSuffix(this)}");

    static string Normalize(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return key.Trim().TrimStart('-');
    }

    static string GivenSuffix(RecipeArgs args) =>
        args._values.Count == 0 ? "; given: none" : "; given: " + string.Join(", ", args._values.Keys.Select(k => "--" + k));

    public bool Equals(RecipeArgs? other) =>
        other is not null && _values.Count == other._values.Count &&
        _values.All(kv => other._values.TryGetValue(kv.Key, out var v) && v == kv.Value);

    public override int GetHashCode() =>
        _values.Aggregate(0, (h, kv) => HashCode.Combine(h, kv.Key.ToLowerInvariant(), kv.Value));

    /// <summary>The arguments as they would be typed: <c>--name x --steps 20</c>.</summary>
    public override string ToString() => string.Join(" ", _values.Select(kv => $"--{kv.Key} {Quote(kv.Value)}"));

    static string Quote(string v) => v.Length == 0 || v.Any(char.IsWhiteSpace) ? $"\"{v}\"" : v;
}
