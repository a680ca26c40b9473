namespace Fixture.Hot; static class HotVersion { public const double Factor = 0.5; public const int Number = 2; }
