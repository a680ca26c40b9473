namespace Fixture.NoEntry;
public static class Nothing { public static int Value => 42 + typeof(Pipeline.Components.ComponentKind).Name.Length; }
