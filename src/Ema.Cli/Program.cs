return Ema.Cli.EmaApp.Run(args);
