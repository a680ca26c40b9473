using Xunit;
using Xunit.Abstractions;
using Xunit.Sdk;

[assembly: TestCollectionOrderer("Pipeline.Tests.Ordering.CollectionOrder", "Pipeline.Tests")]
[assembly: TestCaseOrderer("Pipeline.Tests.Ordering.CaseOrder", "Pipeline.Tests")]

namespace Pipeline.Tests.Ordering;

/// <summary>
/// The order tests run in, from <c>PIPELINE_TEST_ORDER</c>: unset or <c>name</c> (test classes and their cases by
/// name), <c>reverse</c> (the same, backwards) or <c>shuffle:SEED</c> (a seeded permutation of classes and of the
/// cases inside each class). The suite must pass in every order: tests share one process, so any global state a
/// test leaves behind (default dtype, generators, threads, grad mode, a module converted in place) shows up here.
/// </summary>
public static class TestOrder
{
    public const string Variable = "PIPELINE_TEST_ORDER";

    public static IEnumerable<T> Apply<T>(IEnumerable<T> items, Func<T, string> key, string salt)
    {
        var byName = items.OrderBy(key, StringComparer.Ordinal).ToList();
        var mode = Environment.GetEnvironmentVariable(Variable)?.Trim() ?? "";
        if (mode.Length == 0 || mode == "name") return byName;
        if (mode == "reverse") { byName.Reverse(); return byName; }
        if (mode.StartsWith("shuffle:", StringComparison.Ordinal) && int.TryParse(mode.AsSpan(8), out int seed))
        {
            // A stable per-group seed: the same SEED gives the same order on every machine.
            var random = new Random(unchecked(seed * 31 + StableHash(salt)));
            return byName.OrderBy(_ => random.Next()).ToList();
        }
        throw new InvalidOperationException($"{Variable}='{mode}' is not one of: name, reverse, shuffle:SEED");
    }

    static int StableHash(string s)
    {
        unchecked
        {
            int h = 17;
            foreach (char c in s) h = h * 31 + c;
            return h;
        }
    }
}

public sealed class CollectionOrder : ITestCollectionOrderer
{
    public IEnumerable<ITestCollection> OrderTestCollections(IEnumerable<ITestCollection> testCollections) =>
        TestOrder.Apply(testCollections, c => c.DisplayName, "collections");
}

public sealed class CaseOrder : ITestCaseOrderer
{
    public IEnumerable<TTestCase> OrderTestCases<TTestCase>(IEnumerable<TTestCase> testCases) where TTestCase : ITestCase
    {
        var list = testCases.ToList();
        var salt = list.Count > 0 ? list[0].TestMethod.TestClass.Class.Name : "";
        return TestOrder.Apply(list, c => c.DisplayName + "\u0000" + c.UniqueID, salt);
    }
}
