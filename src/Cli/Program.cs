// Before anything touches torch: libgomp reads its wait policy once, when libtorch loads.
Pipeline.Runtime.TorchRuntime.PrepareNativeEnvironment();
return Pipeline.Cli.Entry.Run(args);
