return Pipeline.Cli.Entry.Run(args);
