using System.Collections.Concurrent;
using System.Diagnostics;

namespace Pipeline.Plugins.Recipes;

/// <summary>
/// Runs C# script recipes. A recipe is compiled once per content (see <see cref="RecipeCacheKey"/>) and the
/// assembly is kept on disk; later runs of the same text, in this process or another, load that assembly and call
/// its entry point without starting the compiler (each compile loads an assembly that never unloads, so this
/// also bounds what a long-lived process accumulates). Compile errors throw <see cref="RecipeCompileException"/>;
/// exceptions from the recipe throw <see cref="RecipeRuntimeException"/> naming the recipe line; cancellation
/// through <see cref="RecipeGlobals.Cancellation"/> surfaces as <see cref="OperationCanceledException"/>.
/// <para>
/// The disk cache is a convenience, never a reason to fail: an entry that fails verification is discarded and
/// recompiled (one notice), and a cache folder that cannot be written (a file, no permission, a full disk) makes the
/// host compile in memory for the rest of its life (one warning). Notices go to the <c>log</c> given to the constructor.
/// </para>
/// </summary>
public sealed class RecipeHost
{
    readonly RecipeCache _cache;
    readonly Action<string> _log;
    readonly ConcurrentDictionary<string, LoadedRecipe> _loaded = new();
    int _compilerInvocations;
    volatile bool _cacheUnusable;

    /// <param name="options">The cache folder; <see cref="RecipeHostOptions.Default"/> when null.</param>
    /// <param name="log">Receives one line per cache notice (an entry discarded, the cache unusable); dropped when null.</param>
    public RecipeHost(RecipeHostOptions? options = null, Action<string>? log = null)
    {
        Options = options ?? RecipeHostOptions.Default;
        _cache = new RecipeCache(Options.CacheDirectory);
        _log = log ?? (_ => { });
    }

    public RecipeHostOptions Options { get; }

    /// <summary>How many times this host has run the compiler (cache misses).</summary>
    public int CompilerInvocations => Volatile.Read(ref _compilerInvocations);

    /// <summary>The folder holding <paramref name="source"/>'s compiled form (whether or not it exists yet).</summary>
    public string CachePathOf(RecipeSource source) => _cache.PathOf(RecipeCacheKey.Of(source.Text));

    /// <summary>Compiles (or loads from the cache) and runs <paramref name="source"/> with <paramref name="globals"/>.</summary>
    public RecipeRunResult Run(RecipeSource source, RecipeGlobals globals) => RunAsync(source, globals).GetAwaiter().GetResult();

    /// <inheritdoc cref="Run"/>
    public async Task<RecipeRunResult> RunAsync(RecipeSource source, RecipeGlobals globals)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(globals);
        globals.Cancellation.ThrowIfCancellationRequested();

        var clock = Stopwatch.StartNew();
        var (recipe, fromCache) = Prepare(source, globals.Cancellation);
        var compileTime = clock.Elapsed;

        clock.Restart();
        object? value;
        try
        {
            value = await recipe.Start(globals).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (globals.Cancellation.IsCancellationRequested)
        {
            throw;
        }
        catch (InsufficientExecutionStackException e)
        {
            // Raised by the guard the compiler puts at the top of every recipe method (see RecipeStackGuard).
            throw new RecipeRuntimeException(source.Name, RecipeFrames.InnermostLine(e, recipe.Assembly),
                new InsufficientExecutionStackException("recipe overflowed the stack (recursion too deep); it was stopped before the process crashed", e));
        }
        catch (Exception e)
        {
            throw new RecipeRuntimeException(source.Name, RecipeFrames.InnermostLine(e, recipe.Assembly), e);
        }
        return new RecipeRunResult(fromCache, compileTime, clock.Elapsed, value);
    }

    /// <summary>Makes <paramref name="source"/> ready to run; true when no compilation was needed.</summary>
    (LoadedRecipe Recipe, bool FromCache) Prepare(RecipeSource source, CancellationToken cancellation)
    {
        var key = RecipeCacheKey.Of(source.Text);
        if (_loaded.TryGetValue(key, out var loaded)) return (loaded, true);

        if (!_cacheUnusable)
        {
            var cached = _cache.TryRead(key, out var discarded);
            if (cached is not null)
            {
                try
                {
                    return (_loaded.GetOrAdd(key, LoadedRecipe.Load(key, cached)), true);
                }
                catch (Exception e) when (e is BadImageFormatException or TypeLoadException or InvalidDataException or ArgumentException)
                {
                    discarded = $"could not be loaded ({e.Message})";
                    _cache.Evict(key);
                }
            }
            if (discarded is not null) _log($"{source.Name}: cache entry {_cache.PathOf(key)} {discarded}; discarded, recompiling");
        }

        Interlocked.Increment(ref _compilerInvocations);
        var artifacts = RecipeCompiler.Compile(source, key, cancellation);
        if (!_cacheUnusable) TryStore(key, artifacts);
        return (_loaded.GetOrAdd(key, LoadedRecipe.Load(key, artifacts)), false);
    }

    void TryStore(string key, RecipeArtifacts artifacts)
    {
        try
        {
            _cache.Store(key, artifacts);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _cacheUnusable = true;
            _log($"warning: recipe cache {_cache.Directory} is unusable ({e.Message}); compiling in memory, so every run recompiles " +
                 $"(point {RecipeHostOptions.CacheEnvironmentVariable} at a writable folder)");
        }
    }
}
