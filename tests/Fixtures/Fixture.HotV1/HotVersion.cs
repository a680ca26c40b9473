namespace Fixture.Hot; static class HotVersion { public const double Factor = 1.0; public const int Number = 1; }
